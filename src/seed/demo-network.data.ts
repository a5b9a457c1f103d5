/**
 * The demo WKSBM that `npx rujukan seed` (and the first embedded start) registers: Kelurahan Jurangombo
 * Utara in Kota Magelang with a handful of KPS members, and the city-wide providers every network uses.
 * Readable ids, so a new user can mint tokens for them straight away.
 */
import type { InstitutionDetails } from '../institutions/institution.state.js';

export type SeedInstitution = InstitutionDetails;

const KELURAHAN = '33.71.01.1008';

export const DEMO_NETWORK = { id: 'wksbm-jurangombo-utara', name: 'WKSBM Jurangombo Utara', regionCode: KELURAHAN } as const;
export const DEMO_COORDINATOR = 'coordinator-jurangombo-utara';

export const DEMO_MEMBERS: readonly SeedInstitution[] = [
  { id: 'rw-03-jurangombo-utara', name: 'RW 03 Jurangombo Utara', kind: 'rw', regionCode: KELURAHAN, scope: 'network', categoriesServed: ['PPKS-08', 'PPKS-24'], capacity: null },
  { id: 'pkk-jurangombo-utara', name: 'PKK Kelurahan Jurangombo Utara', kind: 'pkk', regionCode: KELURAHAN, scope: 'network', categoriesServed: ['PPKS-23', 'PPKS-25'], capacity: 20 },
  { id: 'posyandu-melati', name: 'Posyandu Melati', kind: 'posyandu', regionCode: KELURAHAN, scope: 'network', categoriesServed: ['PPKS-01', 'PPKS-05'], capacity: 30 },
  { id: 'karang-taruna-jurangombo-utara', name: 'Karang Taruna Jurangombo Utara', kind: 'karang_taruna', regionCode: KELURAHAN, scope: 'network', categoriesServed: ['PPKS-04', 'PPKS-17'], capacity: 10 },
  { id: 'puskesos-jurangombo-utara', name: 'Puskesos Jurangombo Utara', kind: 'puskesos', regionCode: KELURAHAN, scope: 'network', categoriesServed: ['PPKS-02', 'PPKS-08', 'PPKS-09', 'PPKS-24'], capacity: 50 },
];

export const CITY_PROVIDERS: readonly SeedInstitution[] = [
  { id: 'dinsos-kota-magelang', name: 'Dinas Sosial Kota Magelang', kind: 'dinsos', regionCode: '33.71', scope: 'city', categoriesServed: [], capacity: null },
  { id: 'puskesmas-magelang-selatan', name: 'Puskesmas Magelang Selatan', kind: 'puskesmas', regionCode: '33.71.01', scope: 'city', categoriesServed: ['PPKS-05', 'PPKS-09', 'PPKS-16'], capacity: 100 },
  { id: 'rsud-tidar', name: 'RSUD Tidar Kota Magelang', kind: 'rsud', regionCode: '33.71', scope: 'city', categoriesServed: ['PPKS-09', 'PPKS-16', 'PPKS-17'], capacity: null },
  { id: 'dukcapil-kota-magelang', name: 'Dukcapil Kota Magelang', kind: 'dukcapil', regionCode: '33.71', scope: 'city', categoriesServed: [], capacity: null },
];
