/**
 * The HTTP limit of this machine for the command benchmark: a bare `node:http` server that parses a JSON body
 * and answers it back as JSON, in its own process like the service, loaded by the same generator.
 */
import { createServer } from 'node:http';

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body: unknown = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
    const answer = JSON.stringify({ echo: body });
    response.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    response.end(answer);
  });
});
server.listen(Number(process.env['PORT']), '127.0.0.1', () => process.send?.('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
