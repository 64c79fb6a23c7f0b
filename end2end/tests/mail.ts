import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The email the app sent during the run, as the SMTP server the test server talks to caught it
 * (aiosmtpd writing a Maildir; see playwright.config.ts).
 */
export const MAILDIR = join(__dirname, '..', '..', 'target', 'e2e-mail');

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

function header(block: string, name: string): string {
  const lines = block.split(/\r?\n/);
  let value: string | undefined;
  for (const line of lines) {
    if (value !== undefined) {
      if (/^[ \t]/.test(line)) { value += line.trim(); continue; }
      break;
    }
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === name.toLowerCase()) {
      value = line.slice(colon + 1).trim();
    }
  }
  return value ?? '';
}

function split(raw: string): [string, string] {
  const match = /\r?\n\r?\n/.exec(raw);
  return match ? [raw.slice(0, match.index), raw.slice(match.index + match[0].length)] : [raw, ''];
}

function decode(head: string, body: string): string {
  const encoding = header(head, 'Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const joined = body.replace(/=\r?\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < joined.length; i++) {
      const hex = joined.slice(i + 1, i + 3);
      if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) { bytes.push(parseInt(hex, 16)); i += 2; }
      else bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}

function parse(raw: string): Mail {
  const [head, body] = split(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(header(head, 'Content-Type'))?.[1];
  let text = decode(head, body);
  if (boundary) {
    for (const part of body.split(`--${boundary}`)) {
      const [partHead, partBody] = split(part.replace(/^\r?\n/, ''));
      if (header(partHead, 'Content-Type').startsWith('text/plain')) { text = decode(partHead, partBody); break; }
    }
  }
  return { to: header(head, 'To'), subject: header(head, 'Subject'), text: text.replace(/\r\n/g, '\n') };
}

function mails(): Mail[] {
  let names: string[];
  try { names = readdirSync(join(MAILDIR, 'new')).sort(); } catch { return []; }
  return names.map((name) => parse(readFileSync(join(MAILDIR, 'new', name), 'utf8')));
}

/** Waits for the newest email to `to` whose subject has `subject`, and returns it. */
export async function mailTo(to: string, subject: string): Promise<Mail> {
  for (let i = 0; i < 200; i++) {
    const found = mails().filter((m) => m.to.includes(to) && m.subject.includes(subject));
    if (found.length) return found[found.length - 1];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no email to ${to} about "${subject}"; caught: ${JSON.stringify(mails().map((m) => [m.to, m.subject]))}`);
}

/** The first link in `mail` whose address has `part`. */
export function linkIn(mail: Mail, part: string): string {
  const line = mail.text.split('\n').map((l) => l.trim()).find((l) => l.startsWith('http') && l.includes(part));
  if (!line) throw new Error(`no link with ${part} in:\n${mail.text}`);
  return line;
}
