/**
 * The 26 PPKS categories of Permensos 8/2012, in the regulation's order. Codes are this project's own
 * and stable: never renumber, only append.
 */
export interface PpksCategory {
  readonly code: string;
  readonly name: string;
  /** English gloss. */
  readonly gloss: string;
}

export const PPKS_CATEGORIES: readonly PpksCategory[] = [
  { code: 'PPKS-01', name: 'Anak Balita Terlantar', gloss: 'neglected toddler' },
  { code: 'PPKS-02', name: 'Anak Terlantar', gloss: 'neglected child' },
  { code: 'PPKS-03', name: 'Anak yang Berhadapan dengan Hukum', gloss: 'child in conflict with the law' },
  { code: 'PPKS-04', name: 'Anak Jalanan', gloss: 'street child' },
  { code: 'PPKS-05', name: 'Anak dengan Kedisabilitasan', gloss: 'child with a disability' },
  { code: 'PPKS-06', name: 'Anak yang Menjadi Korban Tindak Kekerasan atau Diperlakukan Salah', gloss: 'child victim of violence or abuse' },
  { code: 'PPKS-07', name: 'Anak yang Memerlukan Perlindungan Khusus', gloss: 'child needing special protection' },
  { code: 'PPKS-08', name: 'Lanjut Usia Terlantar', gloss: 'neglected elderly person' },
  { code: 'PPKS-09', name: 'Penyandang Disabilitas', gloss: 'person with a disability' },
  { code: 'PPKS-10', name: 'Tuna Susila', gloss: 'sex worker' },
  { code: 'PPKS-11', name: 'Gelandangan', gloss: 'homeless person' },
  { code: 'PPKS-12', name: 'Pengemis', gloss: 'beggar' },
  { code: 'PPKS-13', name: 'Pemulung', gloss: 'scavenger' },
  { code: 'PPKS-14', name: 'Kelompok Minoritas', gloss: 'minority group' },
  { code: 'PPKS-15', name: 'Bekas Warga Binaan Lembaga Pemasyarakatan', gloss: 'former prisoner' },
  { code: 'PPKS-16', name: 'Orang dengan HIV/AIDS', gloss: 'person living with HIV' },
  { code: 'PPKS-17', name: 'Korban Penyalahgunaan NAPZA', gloss: 'victim of drug abuse' },
  { code: 'PPKS-18', name: 'Korban Trafficking', gloss: 'trafficking victim' },
  { code: 'PPKS-19', name: 'Korban Tindak Kekerasan', gloss: 'victim of violence' },
  { code: 'PPKS-20', name: 'Pekerja Migran Bermasalah Sosial', gloss: 'migrant worker with social problems' },
  { code: 'PPKS-21', name: 'Korban Bencana Alam', gloss: 'victim of a natural disaster' },
  { code: 'PPKS-22', name: 'Korban Bencana Sosial', gloss: 'victim of a social disaster' },
  { code: 'PPKS-23', name: 'Perempuan Rawan Sosial Ekonomi', gloss: 'socio-economically vulnerable woman' },
  { code: 'PPKS-24', name: 'Fakir Miskin', gloss: 'poor' },
  { code: 'PPKS-25', name: 'Keluarga Bermasalah Sosial Psikologis', gloss: 'family with psychosocial problems' },
  { code: 'PPKS-26', name: 'Komunitas Adat Terpencil', gloss: 'remote indigenous community' },
];
