// The benchmark's peer (scripts/bench.sh): the headless connect of Hint's public Node reference
// template, as its contract describes it, written small for this repository. Node's plain http
// server and the `pg` pool; `POST /hint/connect/:code` exchanges the code at Hint's
// `/api/oauth/tokens` and upserts the practice's token, keyed by practice id.
//
// It does what that template does and no more, which is why it is the yardstick and not a model:
// the token is stored in plain text, nothing is audited, and the answer is "connected" even when
// Hint refused the code. practice-connect keeps all three guarantees while being measured
// against it.
//
// Settings: PORT, DATABASE_URL, HINT_API_URL, HINT_API_KEY.
'use strict';

const http = require('http');
const { Pool } = require('pg');

const port = Number(process.env.PORT || 3500);
const hint = new URL(process.env.HINT_API_URL || 'http://127.0.0.1:3100');
const partnerKey = process.env.HINT_API_KEY || '';
const db = new Pool({ connectionString: process.env.DATABASE_URL });
const agent = new http.Agent({ keepAlive: true });

function exchange(code) {
  const body = JSON.stringify({ code, grant_type: 'authorization_code' });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: hint.hostname,
        port: hint.port,
        path: '/api/oauth/tokens',
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${partnerKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            resolve({});
          }
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function connect(code) {
  const answer = await exchange(code);
  const practiceId = answer.practice && answer.practice.id;
  if (practiceId && answer.access_token) {
    await db.query(
      `INSERT INTO practice_tokens (practice_id, access_token) VALUES ($1, $2)
       ON CONFLICT (practice_id) DO UPDATE
         SET access_token = EXCLUDED.access_token, updated_at = NOW()`,
      [practiceId, answer.access_token],
    );
  }
}

function reply(response, status, value) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(value));
}

const server = http.createServer((request, response) => {
  const path = request.url.split('?')[0];
  if (request.method === 'GET' && path === '/') {
    return reply(response, 200, { status: 'ok' });
  }
  if (request.method === 'POST' && path.startsWith('/hint/connect/')) {
    request.resume();
    const code = decodeURIComponent(path.slice('/hint/connect/'.length));
    // As the template does: any failure is logged and the answer is still "connected".
    connect(code)
      .catch((error) => console.error('connect failed:', error.message))
      .finally(() => reply(response, 200, { status: 'connected' }));
    return undefined;
  }
  return reply(response, 404, { error: 'not found' });
});

db.query(
  `CREATE TABLE IF NOT EXISTS practice_tokens (
     practice_id TEXT PRIMARY KEY,
     access_token TEXT NOT NULL,
     updated_at TIMESTAMPTZ DEFAULT NOW()
   )`,
)
  .then(() => server.listen(port, '127.0.0.1', () => console.log(`peer on ${port}`)))
  .catch((error) => {
    console.error('no database:', error.message);
    process.exit(1);
  });
