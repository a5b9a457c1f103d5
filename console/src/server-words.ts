/**
 * The API answers in English (it is one contract for every client). The messages people meet most often in a
 * form are said again in Bahasa Indonesia here; anything else is shown as the server wrote it.
 */
import type { Language } from './i18n';

const INDONESIAN: readonly (readonly [RegExp, string | ((...groups: string[]) => string)])[] = [
  [/^must not be empty$/, 'wajib diisi'],
  [/^required$/, 'wajib diisi'],
  [/^at least one category$/, 'pilih paling sedikit satu kategori'],
  [/^must not repeat a category$/, 'kategori tidak boleh dipilih dua kali'],
  [/^at most (\d+) characters$/, (count) => `paling banyak ${count} karakter`],
  [/^must be a phone number$/, 'harus nomor telepon (angka, boleh diawali +)'],
  [/^must be 1–3 digits$/, 'harus 1–3 digit angka'],
  [/^must be (\d+) digits \(Kartu Keluarga number\)$/, (count) => `harus ${count} digit angka (nomor Kartu Keluarga)`],
  [/^must be a 16-digit NIK/, 'harus NIK 16 digit: kode wilayah, tanggal lahir (DDMMYY, perempuan +40), nomor urut'],
  [/^must be a known (\w+ )?region code/, 'harus kode wilayah yang dikenal'],
  [/^must be a PPKS category code/, 'harus kode kategori PPKS'],
  [/^unknown field$/, 'isian tidak dikenal'],
  [/^Invalid option/, 'pilihan tidak dikenal'],
  [/^Invalid input/, 'isian tidak sesuai'],
  [/sign-in link was already used/, 'Tautan masuk ini sudah pernah dipakai. Minta tautan baru kepada admin.'],
  [/sign-in link expired/, 'Tautan masuk ini sudah kedaluwarsa. Minta tautan baru kepada admin.'],
  [/sign-in link is not valid/, 'Tautan masuk ini tidak berlaku. Minta tautan baru kepada admin.'],
  [/access to Rujukan was revoked/, 'Akses Anda ke Rujukan telah dicabut. Hubungi admin.'],
  [/a caseworker belongs to an institution/, 'petugas kasus harus punya lembaga'],
  [/coordinates a network/, 'koordinator harus punya jaringan'],
  [/^No institution (\S+) is registered$/, (id) => `Lembaga ${id} tidak terdaftar`],
];

export function serverWords(message: string, language: Language): string {
  if (language !== 'id') return message;
  for (const [pattern, words] of INDONESIAN) {
    const match = pattern.exec(message);
    if (match) return typeof words === 'string' ? words : words(...match.slice(1));
  }
  return message;
}
