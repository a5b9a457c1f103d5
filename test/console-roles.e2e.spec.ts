/**
 * The console of the people who do not handle referrals themselves, in a real browser: an admin invites
 * (the link shown once) and revokes; dinsos sees the escalated cases and manages the city-wide providers; an
 * auditor finds a case, reads its history, sees it as of a revision (slider, by keyboard) and of a moment,
 * checks the hash chains (intact, then an edit behind the app's back) and downloads the export; an analyst
 * (signed in with the link the admin's screen showed) reads the dashboard built from real referrals, a small
 * cell shown as suppressed, and downloads the CSV; dinsos erases a resident's data and the caseworker's case
 * page shows it erased. Every screen passes axe-core and is photographed at a phone's and a desktop's size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DINSOS, NETWORK, OWNER, POSYANDU, PUSKESOS } from './support/demo.js';
import { DESKTOP, launchBrowser, lookAt, personContext, signIn, watchedPage, type WatchedPage } from './support/browser.js';
import { browserForSpecs, describeWithServer } from './support/servers.js';
import { SAMPLE_NIK, TestApp, type Response } from './support/test-app.js';

const browserSpecs = browserForSpecs();

jest.setTimeout(90_000);
describeWithServer('the console of dinsos, auditors, analysts and admins', browserSpecs.skipReason, () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let adminToken: string;
  const contexts: BrowserContext[] = [];
  const pages: WatchedPage[] = [];
  /** Siti Aminah's case: referred to the Puskesos, completed, acknowledged, escalated to Dinsos. */
  let caseId: string;
  /** The link the admin's screen showed for the analyst. */
  let analystLink = '';

  async function invite(body: Record<string, unknown>): Promise<string> {
    const response = await t.post('/users/invitations', adminToken, body);
    expect(response.status).toBe(201);
    return response.body.link as string;
  }

  async function person(link: string, options: Parameters<typeof personContext>[1] = {}): Promise<WatchedPage> {
    const context = await personContext(browser, options);
    contexts.push(context);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const watched = await watchedPage(context);
    pages.push(watched);
    await signIn(watched.page, baseUrl, link);
    return watched;
  }

  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

  /** Real referrals: six from RW 03 to the Puskesos, all accepted (a cell big enough to show), one to the Posyandu, declined (too small). */
  async function referrals(): Promise<void> {
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    const puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
    const posyandu = await t.token({ role: 'caseworker', institutionId: POSYANDU });
    const ok = (response: Response) => {
      expect({ status: response.status < 300 ? 'ok' : response.status, body: response.status < 300 ? null : response.body }).toEqual({ status: 'ok', body: null });
      return response;
    };
    const open = async (name: string, nik?: string) => {
      const opened = ok(await t.post('/cases', owner, {
        networkId: NETWORK, subject: { name, ...(nik ? { nik } : {}), regionCode: '33.71.01.1008', address: 'Jl. Tidar 12' }, categories: ['PPKS-08'], urgency: 'high', description: `${name} tinggal sendiri`,
      }));
      ok(await t.post(`/cases/${opened.body.id}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' }));
      return opened.body.id as string;
    };
    const refer = async (id: string, to: string) => (ok(await t.post(`/cases/${id}/referrals`, owner, { toInstitutionId: to, reason: 'Perlu pendampingan' }))).body.referralId as string;

    caseId = await open('Siti Aminah', SAMPLE_NIK);
    const first = await refer(caseId, PUSKESOS);
    for (const step of ['accept', 'start']) ok(await t.post(`/cases/${caseId}/referrals/${first}/${step}`, puskesos));
    ok(await t.post(`/cases/${caseId}/referrals/${first}/complete`, puskesos, { outcome: 'partially_resolved', summary: 'Sembako diterima' }));
    ok(await t.post(`/cases/${caseId}/referrals/${first}/acknowledge`, owner));
    ok(await t.post(`/cases/${caseId}/escalate`, owner, { toInstitutionId: DINSOS, reason: 'Rumah perlu direhabilitasi: program kota' }));
    for (const name of ['Budi Santoso', 'Sri Wahyuni', 'Agus Salim', 'Dewi Lestari', 'Rina Marlina']) {
      const id = await open(name);
      ok(await t.post(`/cases/${id}/referrals/${await refer(id, PUSKESOS)}/accept`, puskesos));
    }
    const declined = await open('Yanto');
    ok(await t.post(`/cases/${declined}/referrals/${await refer(declined, POSYANDU)}/decline`, posyandu, { reasonCode: 'not_eligible', reason: 'Hanya balita' }));
  }

  beforeAll(async () => {
    t = await TestApp.start({ console: true, realClock: true });
    baseUrl = await t.listen();
    adminToken = await t.token({ role: 'admin', sub: 'admin-ani' });
    browser = await launchBrowser();
    await referrals();
  }, 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await t?.stop();
  });

  afterEach(() => {
    // Nothing the pages did may have been refused by the CSP or thrown.
    expect(pages.flatMap((watched) => watched.errors)).toEqual([]);
  });

  it('lets an admin invite someone: the link is shown once with a copy button and its expiry; a bad invitation is refused next to its field; access is revoked with a reason', async () => {
    const { page } = await person(await invite({ role: 'admin', displayName: 'Bu Ani' }), { viewport: DESKTOP });
    expect(new URL(page.url()).pathname).toBe('/users');
    await expect(heading(page)).resolves.toBe('Pengguna konsol');
    await page.locator('.row').filter({ hasText: 'Bu Ani' }).waitFor();
    await lookAt(page, 'people');

    // A caseworker belongs to an institution: the server says so next to the field, and no one is invited.
    const before = (await t.get('/users?limit=100', adminToken)).body.items.length;
    await page.getByRole('button', { name: 'Undang pengguna' }).click();
    const dialog = page.getByRole('dialog', { name: 'Undang pengguna baru' });
    await dialog.getByLabel(/^Nama/).fill('Pak Tono');
    await dialog.getByRole('button', { name: 'Buat tautan masuk' }).click();
    const institution = dialog.locator('.field.invalid').filter({ has: page.getByLabel(/^Lembaga/) });
    await institution.locator('.error').waitFor();
    await expect(institution.locator('.error').textContent()).resolves.toMatch(/punya lembaga/);
    await lookAt(page, 'people-invite-problem');
    expect((await t.get('/users?limit=100', adminToken)).body.items.length).toBe(before);

    // An analyst: the link appears once, can be copied, and says until when it works.
    await dialog.getByLabel(/^Nama/).fill('Pak Analis');
    await dialog.getByLabel(/^Peran/).selectOption('analyst');
    await dialog.getByRole('button', { name: 'Buat tautan masuk' }).click();
    const shown = page.getByRole('region', { name: 'Tautan masuk untuk Pak Analis' });
    await shown.waitFor();
    analystLink = await shown.getByLabel('Tautan masuk').inputValue();
    expect(analystLink).toMatch(/\/sign-in#code=/);
    await expect(shown.getByText(/Berlaku sampai \d{1,2} \w{3} \d{4} \d{2}\.\d{2} WIB/).isVisible()).resolves.toBe(true);
    await shown.getByRole('button', { name: 'Salin tautan' }).click();
    await shown.getByText(/Tersalin/).waitFor();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(analystLink);
    await lookAt(page, 'people-link');
    await shown.getByRole('button', { name: 'Selesai' }).click();
    await expect(page.getByLabel('Tautan masuk').count()).resolves.toBe(0);

    // Revoking someone: a reason is asked, and their row says so at once.
    await invite({ role: 'auditor', displayName: 'Pak Lama' });
    await page.reload();
    const row = page.locator('.row').filter({ hasText: 'Pak Lama' });
    await row.getByRole('button', { name: 'Cabut akses' }).click();
    const revoke = page.getByRole('dialog', { name: 'Cabut akses Pak Lama' });
    await revoke.getByLabel(/^Alasan/).fill('Pindah tugas');
    await revoke.getByRole('button', { name: 'Cabut akses' }).click();
    await row.getByText('Dicabut').first().waitFor();
    expect(await row.getByRole('button').allTextContents()).toEqual(['Pulihkan akses (tautan baru)']);
    const revoked = (await t.get('/users?status=revoked&limit=100', adminToken)).body.items;
    expect(revoked.map((user: { displayName: string }) => user.displayName)).toEqual(['Pak Lama']);
  });

  it('opens dinsos on the escalated cases, and lets it register, rename, suspend and reactivate a city-wide provider', async () => {
    const { page } = await person(await invite({ role: 'dinsos', displayName: 'Bu Ratna' }));
    expect(new URL(page.url()).pathname).toBe('/escalations');
    await expect(heading(page)).resolves.toBe('Kasus eskalasi');
    const rows = page.locator('.row');
    await rows.first().waitFor();
    // Only Siti Aminah's case was escalated.
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().textContent()).resolves.toMatch(/Siti Aminah.*Dinas Sosial/);
    await lookAt(page, 'escalations');

    await page.getByRole('link', { name: 'Penyedia layanan' }).click();
    await expect(heading(page)).resolves.toBe('Penyedia layanan se-kota');
    await page.getByRole('button', { name: 'Daftarkan penyedia layanan' }).click();
    const register = page.getByRole('dialog', { name: 'Daftarkan penyedia layanan' });
    await register.getByLabel(/^Nama lembaga/).fill('Puskesmas Magelang Tengah');
    await register.getByLabel(/^Jenis lembaga/).selectOption('puskesmas');
    await register.getByLabel('Lanjut Usia Terlantar').check();
    await register.getByLabel(/^Kapasitas/).fill('40');
    await lookAt(page, 'provider-register');
    await register.getByRole('button', { name: 'Daftarkan' }).click();
    const row = page.locator('.row').filter({ hasText: 'Puskesmas Magelang Tengah' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/Puskesmas.*Aktif.*Se-kota.*Lanjut Usia Terlantar.*40/);

    await row.getByRole('button', { name: 'Ganti nama' }).click();
    const rename = page.getByRole('dialog', { name: 'Ganti nama Puskesmas Magelang Tengah' });
    await rename.getByLabel(/^Nama lembaga/).fill('Puskesmas Kota Magelang Tengah');
    await rename.getByRole('button', { name: 'Ganti nama' }).click();
    const renamed = page.locator('.row').filter({ hasText: 'Puskesmas Kota Magelang Tengah' });
    await renamed.waitFor();
    await renamed.getByRole('button', { name: 'Bekukan' }).click();
    const suspend = page.getByRole('dialog', { name: 'Bekukan Puskesmas Kota Magelang Tengah' });
    await suspend.getByRole('button', { name: 'Bekukan' }).click();
    await suspend.locator('.field.invalid .error').waitFor();
    await suspend.getByLabel(/^Alasan/).fill('Renovasi gedung');
    await suspend.getByRole('button', { name: 'Bekukan' }).click();
    await renamed.getByText('Dibekukan').waitFor();
    await lookAt(page, 'providers');
    await renamed.getByRole('button', { name: 'Aktifkan kembali' }).click();
    await renamed.getByText('Aktif', { exact: true }).waitFor();
    const listed = (await t.get('/institutions?kind=puskesmas&limit=100', adminToken)).body.items;
    expect(listed.find((institution: { name: string }) => institution.name === 'Puskesmas Kota Magelang Tengah')).toMatchObject({ scope: 'city', status: 'active', capacity: 40 });
  });

  it('lets an auditor find the case, read its history, see it as of a revision (by keyboard) and of a moment, check its chain and download its export', async () => {
    const { page } = await person(await invite({ role: 'auditor', displayName: 'Pak Audit' }), { viewport: DESKTOP });
    expect(new URL(page.url()).pathname).toBe('/audit');
    await page.locator('.row').first().waitFor();
    const before = await t.stream(`access-${caseId}`);
    expect(before).toEqual([]);
    await lookAt(page, 'audit-cases');
    // Finding a case reads no history: nothing is recorded.
    expect(await t.stream(`access-${caseId}`)).toEqual([]);

    await page.getByLabel(/^ID kasus/).fill(caseId);
    await page.getByRole('button', { name: 'Buka riwayat' }).click();
    await expect(heading(page)).resolves.toBe(`Audit kasus ${caseId.slice(0, 8)}`);
    const events = await t.stream(`case-${caseId}`);
    const history = page.locator('.events > li');
    await history.nth(events.length - 1).waitFor();
    await expect(history.count()).resolves.toBe(events.length);
    await expect(history.first().textContent()).resolves.toMatch(/#0.*Kasus dibuka.*WIB.*Petugas kasus/);
    const state = page.locator('.as-of-state');
    await state.getByText(`Keadaan setelah revisi ${events.length - 1}`).waitFor();
    await expect(state.textContent()).resolves.toMatch(/Siti Aminah.*Dinas Sosial/);

    // The slider, by keyboard: Home is the case as it was opened, one step on is the consent.
    const slider = page.getByRole('slider', { name: 'Revisi' });
    await slider.focus();
    await page.keyboard.press('Home');
    await state.getByText('Keadaan setelah revisi 0').waitFor();
    await expect(slider.getAttribute('aria-valuetext')).resolves.toMatch(/^Revisi 0 dari \d+: Kasus dibuka, .* WIB$/);
    await expect(state.textContent()).resolves.toMatch(/Belum ada rujukan/);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await state.getByText('Keadaan setelah revisi 2').waitFor();
    await expect(state.textContent()).resolves.toMatch(/RW 03.*→.*Puskesos.*Menunggu jawaban/);
    await lookAt(page, 'audit-case-as-of');

    // A moment before the case existed, then one after its last event.
    const picker = page.getByLabel(/^Tanggal dan jam \(WIB\)/);
    await picker.fill('2020-01-01T08:00');
    await page.getByRole('button', { name: 'Tampilkan keadaan saat itu' }).click();
    await page.getByText('Kasus ini belum ada pada saat itu.').waitFor();
    await picker.fill('2099-12-31T23:59');
    await page.getByRole('button', { name: 'Tampilkan keadaan saat itu' }).click();
    await state.getByText(new RegExp(`Keadaan pada 31 Des 2099 23\\.59 WIB \\(revisi ${events.length - 1}\\)`)).waitFor();
    await expect(slider.inputValue()).resolves.toBe(String(events.length - 1));

    // The hash chain of the case.
    await page.getByRole('button', { name: 'Periksa rantai hash kasus ini' }).click();
    await page.getByText('Utuh: tidak ada yang diubah.').waitFor();
    await expect(page.locator('.banner.ok').textContent()).resolves.toMatch(new RegExp(`${events.length} peristiwa diperiksa`));

    // The export, downloaded with the session's cookie: the stream as stored, one event a line.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Unduh ekspor (NDJSON)' }).click()]);
    expect(download.suggestedFilename()).toBe(`case-${caseId}.ndjson`);
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => line.type)).toEqual(events.map((event) => event.type));

    // Every read above is in the access log, which the page lists (its own read included).
    await Promise.all([page.waitForResponse((response) => response.url().includes('/access-log')), page.getByRole('button', { name: 'Muat ulang' }).click()]);
    const recorded = await t.stream(`access-${caseId}`);
    expect(recorded.map((event) => (event.data as { route: string }).route)).toEqual(expect.arrayContaining(['events', 'state', 'export', 'access-log']));
    const logRows = page.getByRole('list', { name: 'Log akses' }).getByRole('listitem');
    await logRows.nth(recorded.length - 1).waitFor();
    await expect(logRows.count()).resolves.toBe(recorded.length);
    await expect(logRows.filter({ hasText: 'Ekspor' }).count()).resolves.toBe(1);
    await lookAt(page, 'audit-case');
  });

  it('lets the auditor check the whole log: intact, then broken where a stored event was edited behind the app\'s back', async () => {
    const { page } = pages.at(-1)!;
    await page.getByRole('link', { name: 'Integritas log' }).click();
    await page.getByRole('button', { name: 'Periksa seluruh log' }).click();
    await page.getByText('Utuh: tidak ada yang diubah.').waitFor();
    await lookAt(page, 'integrity');

    const target = (await t.stream(`case-${caseId}`))[3]!;
    const db = new Database(join(t.config.dataDir, 'events.sqlite'));
    try {
      const { data } = db.prepare('SELECT data FROM events WHERE event_id = ?').get(target.id) as { data: string };
      db.prepare(`UPDATE events SET data = json_set(data, '$.at', '2020-01-01T00:00:00.000Z') WHERE event_id = ?`).run(target.id);
      await page.getByRole('button', { name: 'Periksa seluruh log' }).click();
      await page.getByText('Rantai hash putus: riwayat telah diubah.').waitFor();
      await expect(page.locator('.banner.error').textContent()).resolves.toContain(`case-${caseId}, revisi 3`);
      await expect(page.locator('.banner.error').textContent()).resolves.toContain(target.id);
      await lookAt(page, 'integrity-broken');
      db.prepare('UPDATE events SET data = ? WHERE event_id = ?').run(data, target.id);
    } finally {
      db.close();
    }
    await page.getByLabel(/^Nama stream/).fill(`case-${caseId}`);
    await page.getByRole('button', { name: 'Pilih stream' }).click();
    await page.getByRole('button', { name: `Periksa case-${caseId}` }).click();
    await page.getByRole('region', { name: 'Satu stream' }).getByText('Utuh: tidak ada yang diubah.').waitFor();

    // Who had access when: the people, read-only.
    await page.getByRole('link', { name: 'Pengguna' }).click();
    await page.locator('.row').filter({ hasText: 'Pak Lama' }).getByText('Dicabut', { exact: true }).waitFor();
    await expect(page.getByRole('button', { name: 'Undang pengguna' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Cabut akses' }).count()).resolves.toBe(0);
    await lookAt(page, 'people-auditor');
  });

  it('shows the analyst (signed in with the link the admin copied) charts of real referrals, a small cell as suppressed, and the CSV', async () => {
    expect(analystLink).not.toBe('');
    const { page } = await person(analystLink, { viewport: DESKTOP });
    expect(new URL(page.url()).pathname).toBe('/analytics');
    await expect(heading(page)).resolves.toBe('Analitik rujukan');
    const figures = page.getByRole('group', { name: 'Angka utama' });
    await figures.waitFor();
    await expect(figures.textContent()).resolves.toMatch(/^7Kasus dibuka7Rujukan/);
    // Every chart is drawn, and has a name a screen reader can read.
    const charts = page.locator('figure.chart canvas[role="img"]');
    await charts.nth(9).waitFor();
    for (let index = 0; index < await charts.count(); index++) await expect(charts.nth(index).getAttribute('aria-label')).resolves.toMatch(/\S+\. Angkanya ada di tabel/);

    // RW → Puskesos: six referrals; RW → Posyandu: one, withheld as "< 5", never 0.
    const flows = page.locator('figure').filter({ hasText: 'Rujukan menurut jenis lembaga pengirim dan penerima' });
    await flows.getByText('Tampilkan tabel angka').click();
    const puskesos = flows.locator('tbody tr').filter({ hasText: 'RW → Puskesos' });
    const withheld = '< 5disembunyikan: kurang dari 5';
    // Referrals, accepted, declined, completed: one of the six was completed, too few to show.
    await expect(puskesos.locator('td').allTextContents()).resolves.toEqual(['6', '6', '0', withheld]);
    const posyandu = flows.locator('tbody tr').filter({ hasText: 'RW → Posyandu' });
    await expect(posyandu.locator('td').allTextContents()).resolves.toEqual([withheld, '0', withheld, '0']);
    await expect(posyandu.locator('td').first().locator('[aria-hidden="true"]').textContent()).resolves.toBe('< 5');
    await expect(flows.getByText('Baris bertanda *: sebagian angkanya kurang dari 5, jadi disembunyikan (bukan nol). Lihat tabel.').isVisible()).resolves.toBe(true);
    const accept = page.locator('figure').filter({ hasText: 'Waktu sampai diterima (jam)' });
    await accept.getByText('Tampilkan tabel angka').click();
    await expect(accept.locator('tbody tr').filter({ hasText: 'Puskesos' }).locator('td').allTextContents()).resolves.toEqual([expect.stringMatching(/ jam$/), expect.stringMatching(/ jam$/)]);
    await lookAt(page, 'analytics');

    // The CSV, downloaded with the session's cookie, as filtered.
    await page.getByLabel(/^Kategori PPKS/).selectOption('PPKS-08');
    await page.locator('a[href="/api/v1/analytics/export.csv?category=PPKS-08"]').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Unduh CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split('\n')[0]).toBe('month,regionCode,networkId,category,status,cases');
    expect(csv).toMatch(new RegExp(`,33\\.71\\.01\\.1008,${NETWORK},PPKS-08,open,7\\n`));
    for (const name of ['Siti', 'Budi', SAMPLE_NIK, 'Jl. Tidar']) expect(csv).not.toContain(name);

    await page.getByLabel(/^Dari bulan/).fill('2099-02');
    await page.getByLabel(/^Sampai bulan/).fill('2099-01');
    await page.getByText('Bulan akhir tidak boleh sebelum bulan awal.').waitFor();
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole('button', { name: 'Hapus saringan' }).click();
    await figures.waitFor();
  });

  it('lets dinsos erase a resident\'s data behind a plain confirmation, and the caseworker\'s case page shows it erased', async () => {
    const dinsos = pages[1]!.page;
    await dinsos.goto(`${baseUrl}/cases/${caseId}`);
    await dinsos.getByRole('heading', { name: 'Siti Aminah' }).waitFor();
    await dinsos.locator('main').getByRole('link', { name: 'Hak subjek data' }).click();
    await expect(heading(dinsos)).resolves.toBe('Laporan akses subjek data');
    await dinsos.getByRole('heading', { name: 'Kasus yang memuat data warga ini' }).waitFor();
    // The auditor's reads of the case are listed for the resident.
    await expect(dinsos.getByRole('list', { name: 'Siapa yang membaca riwayatnya' }).getByRole('listitem').count()).resolves.toBeGreaterThan(3);
    await lookAt(dinsos, 'subject-report');

    await dinsos.getByRole('button', { name: 'Hapus data pribadi' }).click();
    const dialog = dinsos.getByRole('dialog', { name: 'Hapus data pribadi warga ini?' });
    await expect(dialog.textContent()).resolves.toMatch(/Kunci enkripsi.*dihapus.*tidak terbaca di mana pun.*selamanya.*Riwayat kasus tetap ada.*diverifikasi.*Tidak dapat dibatalkan/);
    const confirm = dialog.getByRole('button', { name: 'Hapus selamanya' });
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await dialog.getByLabel(/^Dasar penghapusan/).fill('Surat permohonan 12/2026');
    await lookAt(dinsos, 'erasure-dialog');
    // By keyboard: to the "I understand" box, Space, then the button.
    await dialog.getByLabel('Saya mengerti bahwa penghapusan ini tidak dapat dibatalkan.').focus();
    await dinsos.keyboard.press('Space');
    await expect(confirm.isEnabled()).resolves.toBe(true);
    await confirm.focus();
    await dinsos.keyboard.press('Enter');
    await dinsos.getByText(/Data pribadi dihapus pada .* WIB\./).waitFor();
    await expect(dinsos.getByRole('button', { name: 'Hapus data pribadi' }).count()).resolves.toBe(0);
    await lookAt(dinsos, 'subject-erased');

    const { page } = await person(await invite({ role: 'caseworker', institutionId: OWNER, displayName: 'Bu Wati' }));
    await page.goto(`${baseUrl}/cases/${caseId}`);
    await page.getByRole('heading', { name: 'Data pribadi dihapus' }).waitFor();
    await page.getByText(/telah dihapus atas permintaannya/).waitFor();
    await expect(page.locator('main').textContent()).resolves.not.toMatch(/Siti|Jl\. Tidar|3371015205800001/);
    await lookAt(page, 'case-erased');
    // The history still verifies.
    const auditor = await t.token({ role: 'auditor' });
    expect((await t.get(`/audit/verify?stream=case-${caseId}`, auditor)).body).toMatchObject({ ok: true, firstBroken: null });
  });
});
