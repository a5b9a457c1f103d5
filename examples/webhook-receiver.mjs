// An example receiver of Rujukan's webhooks that forwards news to a messaging gateway (WhatsApp, SMS): it
// verifies each delivery with the standardwebhooks library, answers at once, drops repeats by webhook-id, and
// sends the gateway one short line in Bahasa Indonesia with the link to the case. Plain Node 20, one dependency
// (npm install standardwebhooks). Configure it by environment:
//
//   RUJUKAN_WEBHOOK_SECRET  the whsec_… secret POST /api/v1/webhooks answered with
//   INSTITUTION_ID          the institution whose phone this is: only referrals sent to it are forwarded
//   GATEWAY_URL             the gateway's send endpoint (it receives { to, text } as JSON)
//   GATEWAY_TOKEN, GATEWAY_TO   the gateway's bearer token, and the number or group to send to
//   PORT                    where to listen (default 8080)
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.env.RUJUKAN_WEBHOOK_SECRET);
const institutionId = process.env.INSTITUTION_ID;
// Delivery is at least once: a message may come again (same webhook-id). Keep these in a table with a TTL
// of a few days in production; memory is enough for an example.
const seen = new Set();

const due = (iso) => new Date(iso).toLocaleString('id-ID', { timeZone: 'Asia/Jakarta', dateStyle: 'medium', timeStyle: 'short' });
const texts = {
  'referral.requested': (data) => `Rujukan baru dari ${data.from.name} (urgensi ${data.urgency}), jawab sebelum ${due(data.dueAt)} WIB: ${data.caseUrl}`,
  'referral.due_soon': (data) => `Rujukan dari ${data.from.name} belum dijawab: jatuh tempo dalam ${data.dueInHours} jam. ${data.caseUrl}`,
  'referral.cancelled': (data) => `Rujukan dari ${data.from.name} dibatalkan. ${data.caseUrl}`,
};

createServer(async (request, response) => {
  let body = '';
  for await (const chunk of request) body += chunk;
  let message;
  try {
    // Checks the signature over webhook-id, webhook-timestamp and the exact body, and refuses stale timestamps.
    message = webhook.verify(body, request.headers);
  } catch {
    response.writeHead(401).end();
    return;
  }
  const id = request.headers['webhook-id'];
  const text = texts[message.type]?.(message.data);
  if (!seen.has(id) && text && message.data.to?.id === institutionId) {
    const sent = await fetch(process.env.GATEWAY_URL, {
      method: 'POST',
      headers: { authorization: `Bearer ${process.env.GATEWAY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: process.env.GATEWAY_TO, text }),
      signal: AbortSignal.timeout(5_000),
    }).catch(() => null);
    // Not sent: answer an error, and Rujukan tries again later (with backoff, for up to a day by default).
    if (!sent?.ok) {
      response.writeHead(502).end();
      return;
    }
  }
  seen.add(id);
  response.writeHead(204).end();
}).listen(Number(process.env.PORT ?? 8080));
