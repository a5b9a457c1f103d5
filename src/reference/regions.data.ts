/** Kemendagri region codes of Kota Magelang (public `wilayah` dataset, 2026 edition). */
export const REGION_LEVELS = ['provinsi', 'kabupaten_kota', 'kecamatan', 'kelurahan'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

export interface Region {
  readonly code: string;
  readonly name: string;
  readonly level: RegionLevel;
}

export const REGIONS: readonly Region[] = [
  { code: '33', name: 'Jawa Tengah', level: 'provinsi' },
  { code: '33.71', name: 'Kota Magelang', level: 'kabupaten_kota' },
  { code: '33.71.01', name: 'Magelang Selatan', level: 'kecamatan' },
  { code: '33.71.01.1003', name: 'Rejowinangun Selatan', level: 'kelurahan' },
  { code: '33.71.01.1007', name: 'Magersari', level: 'kelurahan' },
  { code: '33.71.01.1008', name: 'Jurangombo Utara', level: 'kelurahan' },
  { code: '33.71.01.1009', name: 'Jurangombo Selatan', level: 'kelurahan' },
  { code: '33.71.01.1010', name: 'Tidar Utara', level: 'kelurahan' },
  { code: '33.71.01.1011', name: 'Tidar Selatan', level: 'kelurahan' },
  { code: '33.71.02', name: 'Magelang Utara', level: 'kecamatan' },
  { code: '33.71.02.1003', name: 'Wates', level: 'kelurahan' },
  { code: '33.71.02.1004', name: 'Potrobangsan', level: 'kelurahan' },
  { code: '33.71.02.1005', name: 'Kedungsari', level: 'kelurahan' },
  { code: '33.71.02.1008', name: 'Kramat Utara', level: 'kelurahan' },
  { code: '33.71.02.1009', name: 'Kramat Selatan', level: 'kelurahan' },
  { code: '33.71.03', name: 'Magelang Tengah', level: 'kecamatan' },
  { code: '33.71.03.1001', name: 'Kemirirejo', level: 'kelurahan' },
  { code: '33.71.03.1002', name: 'Cacaban', level: 'kelurahan' },
  { code: '33.71.03.1003', name: 'Rejowinangun Utara', level: 'kelurahan' },
  { code: '33.71.03.1004', name: 'Magelang', level: 'kelurahan' },
  { code: '33.71.03.1005', name: 'Panjang', level: 'kelurahan' },
  { code: '33.71.03.1006', name: 'Gelangan', level: 'kelurahan' },
];
