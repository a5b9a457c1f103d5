/**
 * The console in a real browser, with two people at once: Bu Wati of RW 03 refers a case, Pak Joko of the
 * Puskesos answers it. The whole closed loop, a decline, a stale case (412), a lost connection while
 * sending (the retry does not double), the NIK checked as it is typed and the server's problems next to the
 * fields; every screen checked with axe-core and photographed at a phone's and a desktop's size.
 */
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NETWORK, OWNER, POSYANDU, PUSKESOS } from './support/demo.js';
import { DESKTOP, launchBrowser, lookAt, personContext, signIn, watchedPage, type WatchedPage } from './support/browser.js';
import { browserForSpecs, describeWithServer } from './support/servers.js';
import { Scenario } from './support/scenario.js';
import { SAMPLE_NIK, TestApp } from './support/test-app.js';

const browserSpecs = browserForSpecs();

describeWithServer('the console', browserSpecs.skipReason, () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let admin: string;
  const contexts: BrowserContext[] = [];
  let wati: WatchedPage;
  let joko: WatchedPage;
  let caseUrl = '';

  async function invite(body: Record<string, unknown>): Promise<string> {
    const response = await t.post('/users/invitations', admin, body);
    expect(response.status).toBe(201);
    return response.body.link as string;
  }

  async function person(body: Record<string, unknown>, options: Parameters<typeof personContext>[1] = {}): Promise<WatchedPage> {
    const context = await personContext(browser, options);
    contexts.push(context);
    const watched = await watchedPage(context);
    await signIn(watched.page, baseUrl, await invite(body));
    return watched;
  }

  beforeAll(async () => {
    t = await TestApp.start({ console: true, realClock: true });
    baseUrl = await t.listen();
    admin = await t.token({ role: 'admin', sub: 'admin-ani' });
    browser = await launchBrowser();
    wati = await person({ role: 'caseworker', institutionId: OWNER, displayName: 'Bu Wati' });
    joko = await person({ role: 'caseworker', institutionId: PUSKESOS, displayName: 'Pak Joko' }, { viewport: DESKTOP });
  }, 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await t?.stop();
  });

  afterEach(() => {
    // Nothing the pages did may have been refused by the CSP or thrown.
    expect([...wati.errors, ...joko.errors]).toEqual([]);
  });

  it('signs each person in from their link, in Bahasa Indonesia, on their own inbox', async () => {
    for (const { page } of [wati, joko]) {
      expect(new URL(page.url()).pathname).toBe('/inbox');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Kotak masuk rujukan');
      // The code left the address bar: a reload or a shared screen cannot reuse it.
      expect(page.url()).not.toContain('code=');
    }
    await expect(wati.page.getByText('Bu Wati').first().isVisible()).resolves.toBe(true);
    await lookAt(wati.page, 'inbox-empty');
  });

  it('opens a case: the NIK is checked as it is typed, and the server\'s problems appear next to their fields', async () => {
    const { page } = wati;
    await page.getByRole('link', { name: 'Kasus baru' }).click();
    await page.getByRole('heading', { name: 'Buka kasus baru' }).waitFor();
    const nik = page.getByLabel(/^NIK/);
    await nik.fill('33710152');
    await expect(page.getByText('NIK harus 16 digit angka (8 sekarang).').isVisible()).resolves.toBe(true);
    await nik.fill('3371019905800001');
    await expect(page.getByText(/tanggal lahir DDMMYY/).isVisible()).resolves.toBe(true);
    await nik.fill(SAMPLE_NIK);
    await expect(page.getByText('Bentuk NIK sesuai.').isVisible()).resolves.toBe(true);
    await page.getByLabel(/^Nama lengkap/).fill('Siti Aminah');
    await page.getByLabel(/^Telepon/).fill('nomor saya');
    await page.getByLabel('Fakir Miskin').check();
    await page.getByLabel('Tinggi').check();
    await page.getByLabel(/^Uraian masalah/).fill('Tinggal sendiri, tidak berpenghasilan, atap rumah bocor.');
    await lookAt(page, 'open-case');
    const before = (await t.get('/cases', await t.token({ role: 'caseworker', institutionId: OWNER }))).body.items.length;

    await page.getByRole('button', { name: 'Buka kasus' }).click();
    const phoneError = page.locator('.field.invalid').filter({ has: page.getByLabel(/^Telepon/) }).locator('.error');
    await phoneError.waitFor();
    await expect(phoneError.textContent()).resolves.toMatch(/nomor telepon/);
    await expect(page.getByLabel(/^Telepon/).getAttribute('aria-invalid')).resolves.toBe('true');
    expect((await t.get('/cases', await t.token({ role: 'caseworker', institutionId: OWNER }))).body.items.length).toBe(before);
    await lookAt(page, 'open-case-problem');

    await page.getByLabel(/^Telepon/).fill('+62 812 2345 6789');
    await page.getByRole('button', { name: 'Buka kasus' }).click();
    await page.getByRole('heading', { name: 'Siti Aminah' }).waitFor();
    caseUrl = new URL(page.url()).pathname;
    expect(caseUrl).toMatch(/^\/cases\/[0-9a-f-]{36}$/);
    await expect(page.getByText('Tinggal sendiri, tidak berpenghasilan').isVisible()).resolves.toBe(true);
    await expect(page.getByText(SAMPLE_NIK).isVisible()).resolves.toBe(true);
    await lookAt(page, 'case-opened');
  });

  it('refers the case with consent recorded in the same flow, and the target\'s open inbox shows it by itself', async () => {
    await joko.page.goto(`${baseUrl}/inbox`);
    await joko.page.getByText('Belum ada rujukan.').waitFor();
    const { page } = wati;
    await page.getByRole('button', { name: 'Rujuk ke lembaga lain' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rujuk kasus' });
    await dialog.getByLabel(/Puskesos/).check();
    await expect(dialog.getByLabel('Catat persetujuan sekarang (kepada lembaga ini)').isChecked()).resolves.toBe(true);
    await dialog.getByLabel(/^Alasan rujukan/).fill('Perlu bantuan sembako dan perbaikan rumah');
    await lookAt(page, 'refer-dialog');
    await dialog.getByRole('button', { name: 'Kirim rujukan' }).click();
    const referred = Date.now();
    await page.locator('.referral').filter({ hasText: 'Menunggu jawaban' }).waitFor();

    // No reload on Pak Joko's side: the server-sent events brought it.
    const row = joko.page.locator('.row').filter({ hasText: 'RW 03' });
    await row.waitFor({ timeout: 10_000 });
    const arrivedAfterMs = Date.now() - referred;
    expect({ arrivedWithin2s: arrivedAfterMs <= 2_000, arrivedAfterMs }).toEqual({ arrivedWithin2s: true, arrivedAfterMs });
    await expect(row.textContent()).resolves.toMatch(/Menunggu jawaban.*Tinggi.*sisa (3 hari|2 hari 23 jam)/);
    await lookAt(joko.page, 'inbox-new-referral');

    const events = await t.stream(`case-${caseUrl.split('/')[2]}`);
    expect(events.map((event) => event.type)).toEqual(['CaseOpened', 'ConsentRecorded', 'ReferralRequested']);
  });

  it('lets the target accept, start and complete with the keyboard, showing only what each state allows', async () => {
    const { page } = joko;
    await page.locator('.row').filter({ hasText: 'RW 03' }).getByRole('link').click();
    await page.getByRole('heading', { name: 'Siti Aminah' }).waitFor();
    const referral = page.locator('.referral').first();
    // Why it was referred, to decide on it.
    await referral.getByText('Perlu bantuan sembako dan perbaikan rumah').waitFor();
    expect(await referral.getByRole('button').allTextContents()).toEqual(['Terima', 'Tolak']);
    await lookAt(page, 'case-target');

    // From the top of the page, by Tab alone, to "Terima", then Enter.
    await page.locator('body').focus();
    for (let step = 0; step < 80; step++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate('document.activeElement?.textContent')) === 'Terima') break;
    }
    await page.keyboard.press('Enter');
    await referral.locator('.badge.status-accepted').waitFor();
    expect(await referral.getByRole('button').allTextContents()).toEqual(['Mulai tangani', 'Selesai', 'Gagal']);
    await referral.getByRole('button', { name: 'Mulai tangani' }).click();
    await referral.locator('.badge.status-in_progress').waitFor();
    expect(await referral.getByRole('button').allTextContents()).toEqual(['Tunda', 'Selesai', 'Gagal']);
    await referral.getByRole('button', { name: 'Selesai' }).click();
    const dialog = page.getByRole('dialog', { name: 'Selesai' });
    await dialog.getByLabel(/^Hasil/).selectOption('resolved');
    await dialog.getByLabel(/^Ringkasan/).fill('Sembako diterima, atap diperbaiki bersama Karang Taruna');
    await lookAt(page, 'complete-dialog');
    await page.keyboard.press('Escape');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await referral.getByRole('button', { name: 'Selesai' }).click();
    await dialog.getByLabel(/^Ringkasan/).fill('Sembako diterima, atap diperbaiki bersama Karang Taruna');
    await dialog.getByRole('button', { name: 'Selesai' }).click();
    await referral.locator('.badge.status-completed').waitFor();
    expect(await referral.getByRole('button').allTextContents()).toEqual([]);
  });

  it('lets the referrer acknowledge the outcome, closing the loop, then close the case', async () => {
    const { page } = wati;
    await page.getByRole('link', { name: 'Kotak keluar' }).click();
    await page.locator('.row').filter({ hasText: 'Puskesos' }).filter({ hasText: 'Selesai' }).waitFor();
    await page.locator('.row').filter({ hasText: 'Puskesos' }).getByText('Menunggu konfirmasi hasil dari Anda').waitFor();
    await lookAt(page, 'outbox');
    await page.locator('.row').filter({ hasText: 'Puskesos' }).getByRole('link').click();
    const referral = page.locator('.referral').first();
    // What was done, before acknowledging it.
    await referral.getByText('Sembako diterima, atap diperbaiki bersama Karang Taruna').waitFor();
    await referral.getByRole('button', { name: 'Konfirmasi hasil' }).click();
    await referral.getByText('Lingkaran tertutup').waitFor();
    await page.getByRole('button', { name: 'Tutup kasus' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tutup kasus' });
    await dialog.getByLabel(/^Ringkasan/).fill('Kebutuhan dasar terpenuhi');
    await dialog.getByRole('button', { name: 'Tutup kasus' }).click();
    await page.locator('.badge.case-closed').waitFor();
    await lookAt(page, 'case-closed');
    const events = await t.stream(`case-${caseUrl.split('/')[2]}`);
    expect(events.map((event) => event.type).slice(3)).toEqual(['ReferralAccepted', 'ReferralStarted', 'ReferralCompleted', 'ReferralOutcomeAcknowledged', 'CaseClosed']);
  });

  /** A fresh case of RW 03 referred to the Puskesos with the network's consent, through the API. */
  const referredCase = () => new Scenario(t).referredCase(PUSKESOS, {
    subject: { name: 'Budi Santoso', regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'Lansia sendirian',
  }, 'Butuh pendampingan');

  it('lets the target decline with a reason code, which the referrer sees', async () => {
    const { caseId } = await referredCase();
    await joko.page.goto(`${baseUrl}/cases/${caseId}`);
    const referral = joko.page.locator('.referral').first();
    await referral.getByRole('button', { name: 'Tolak' }).click();
    const dialog = joko.page.getByRole('dialog', { name: 'Tolak' });
    await dialog.getByRole('button', { name: 'Tolak' }).click();
    // The reason is required: the server names the field, and nothing was appended.
    await dialog.locator('.field.invalid .error').waitFor();
    expect((await t.stream(`case-${caseId}`)).length).toBe(3);
    await dialog.getByLabel(/^Kode alasan/).selectOption('outside_area');
    await dialog.getByLabel(/^Alasan/).fill('Warga tinggal di luar wilayah layanan kami');
    await dialog.getByRole('button', { name: 'Tolak' }).click();
    await referral.getByText('Ditolak').waitFor();
    await wati.page.goto(`${baseUrl}/cases/${caseId}`);
    const seen = wati.page.locator('.referral').first();
    await seen.getByText('Di luar wilayah layanan', { exact: true }).waitFor();
    expect(await seen.getByRole('button').allTextContents()).toEqual(['Konfirmasi hasil']);
  });

  it('tells a person whose page is stale that someone else changed the case, and shows it as it is now (412)', async () => {
    const { caseId } = await referredCase();
    // Her live updates do not get through (a phone on a poor connection): her page keeps what it loaded.
    await wati.page.route('**/referral-events', (route) => route.abort('connectionrefused'));
    await wati.page.goto(`${baseUrl}/cases/${caseId}`);
    await wati.page.locator('.referral').first().getByRole('button', { name: 'Batalkan rujukan' }).waitFor();
    await joko.page.goto(`${baseUrl}/cases/${caseId}`);
    await joko.page.locator('.referral').first().getByRole('button', { name: 'Terima' }).click();
    await joko.page.locator('.referral').first().getByText('Diterima').waitFor();

    // Bu Wati's page still shows the referral as requested (revision 2): her cancel carries If-Match "2".
    await wati.page.locator('.referral').first().getByRole('button', { name: 'Batalkan rujukan' }).click();
    const dialog = wati.page.getByRole('dialog', { name: 'Batalkan rujukan' });
    await dialog.getByLabel(/^Alasan/).fill('Sudah ditangani keluarga');
    await dialog.getByRole('button', { name: 'Batalkan rujukan' }).click();
    await wati.page.getByText('Kasus ini baru saja diubah oleh orang lain').waitFor();
    await wati.page.locator('.referral').first().getByText('Diterima').waitFor();
    await lookAt(wati.page, 'case-stale');
    await wati.page.unroute('**/referral-events');
    expect((await t.stream(`case-${caseId}`)).map((event) => event.type)).toEqual(['CaseOpened', 'ConsentRecorded', 'ReferralRequested', 'ReferralAccepted']);
  });

  it('sends a note again after a lost connection without recording it twice', async () => {
    const { caseId } = await referredCase();
    const { page } = wati;
    await page.goto(`${baseUrl}/cases/${caseId}`);
    const text = 'Kunjungan rumah: warga membutuhkan kursi roda';
    await page.getByLabel(/^Isi catatan/).fill(text);
    // The request reaches the server and is carried out; its answer never reaches the phone.
    let dropped = 0;
    await page.route('**/api/v1/cases/*/notes', async (route) => {
      if (route.request().method() !== 'POST' || dropped > 0) return route.fallback();
      dropped++;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Tambah catatan' }).click();
    await page.getByText('Koneksi terputus sebelum jawaban diterima').waitFor();
    expect(dropped).toBe(1);
    await page.getByRole('button', { name: 'Tambah catatan' }).click();
    await page.locator('.note-text').filter({ hasText: text }).waitFor();
    await page.unroute('**/api/v1/cases/*/notes');
    const notes = (await t.stream(`case-${caseId}`)).filter((event) => event.type === 'CaseNoteAdded');
    expect(notes).toHaveLength(1);
    await expect(page.locator('.note-text').filter({ hasText: text }).count()).resolves.toBe(1);
    await lookAt(page, 'case-notes');
  });

  it('shows dates and times in WIB whatever the device\'s time zone, in either language', async () => {
    const { caseId } = await referredCase();
    const referral = (await t.get(`/cases/${caseId}`, await t.token({ role: 'caseworker', institutionId: OWNER }))).body.referrals[0];
    const wib = (language: string) => {
      const parts = new Intl.DateTimeFormat(language, { timeZone: 'Asia/Jakarta', day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(referral.requestedAt));
      const time = new Intl.DateTimeFormat(language, { timeZone: 'Asia/Jakarta', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(referral.requestedAt));
      return `${parts} ${time} WIB`;
    };
    const { page } = wati;
    await page.goto(`${baseUrl}/cases/${caseId}`);
    await page.locator('.referral').first().getByText(wib('id-ID')).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Referrals' }).waitFor();
    await page.locator('.referral').first().getByText(wib('en-GB')).waitFor();
    await lookAt(page, 'case-english');
    await page.getByRole('button', { name: 'Bahasa Indonesia' }).click();
    await page.getByRole('heading', { name: 'Rujukan' }).waitFor();
  });

  it('keeps the first screen\'s JavaScript under 150 kB compressed, with long caching for hashed files', async () => {
    const context = await personContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    const scripts: { url: string; bytes: Buffer; cacheControl: string }[] = [];
    page.on('response', (response) => {
      if (response.request().resourceType() === 'script') {
        void response.body().then((bytes) => scripts.push({ url: response.url(), bytes, cacheControl: response.headers()['cache-control'] ?? '' }));
      }
    });
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByRole('heading', { name: 'Masuk ke Rujukan' }).waitFor();
    await page.waitForLoadState('networkidle');
    await lookAt(page, 'sign-in');
    const compressed = scripts.reduce((sum, script) => sum + gzipSync(script.bytes, { level: 9 }).length, 0);
    expect(scripts.length).toBeGreaterThan(0);
    expect({ compressedKb: Math.round(compressed / 1024), under150: compressed < 150 * 1024 }).toEqual({ compressedKb: Math.round(compressed / 1024), under150: true });
    for (const script of scripts) expect(script.cacheControl).toMatch(/max-age=31536000.*immutable/);
    const page2 = await context.newPage();
    const index = await page2.goto(`${baseUrl}/cases/anything`);
    expect(index?.headers()['cache-control']).toBe('no-cache');
    expect(index?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    expect(index?.headers()['content-security-policy']).not.toMatch(/unsafe-inline/);
  });

  it('refers through the network\'s consent in another kelurahan member too (Posyandu), and the inbox of the Posyandu is not Pak Joko\'s', async () => {
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    const opened = await t.post('/cases', owner, { networkId: NETWORK, subject: { name: 'Ani', regionCode: '33.71.01.1008' }, categories: ['PPKS-01'], urgency: 'high', description: 'Balita gizi kurang' });
    await t.post(`/cases/${opened.body.id}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'guardian' });
    expect((await t.post(`/cases/${opened.body.id}/referrals`, owner, { toInstitutionId: POSYANDU, reason: 'Pemantauan gizi' })).status).toBe(201);
    await joko.page.goto(`${baseUrl}/inbox`);
    await joko.page.getByRole('heading', { name: 'Kotak masuk rujukan' }).waitFor();
    await joko.page.waitForTimeout(1_500);
    await expect(joko.page.locator('.row').filter({ hasText: 'Pemantauan' }).count()).resolves.toBe(0);
    await expect(joko.page.getByText('Ani').count()).resolves.toBe(0);
  });
});

export type { Page };
