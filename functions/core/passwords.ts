import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (node:crypto, no dependency). Each hash is stored as a
 * self-describing string, `scrypt$ln=17,r=8,p=1$<salt>$<key>` (base64, no padding), so the
 * parameters can be raised later: `verifyPassword` reads them from the hash and `needsRehash`
 * tells the login to store a fresh hash.
 */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly ln: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/** OWASP Password Storage Cheat Sheet: N=2^17, r=8, p=1 (128 MiB, about 0.3 s per hash). */
export const currentParams: ScryptParams = { ln: 17, r: 8, p: 1 };

const saltBytes = 16;
const keyBytes = 32;
/** Hashes outside these bounds are refused rather than computed (a stored value is never trusted blindly). */
const limits = { ln: [14, 22], r: [1, 32], p: [1, 16] } as const;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    maxmem: 128 * N * params.r * params.p + 32 * 1024 * 1024,
  };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keyBytes, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string, params: ScryptParams = currentParams): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await derive(password, salt, params);
  return `scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

const format = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;

function parseHash(stored: string): ParsedHash | null {
  const m = format.exec(stored);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  for (const k of ['ln', 'r', 'p'] as const) {
    if (params[k] < limits[k][0] || params[k] > limits[k][1]) return null;
  }
  return { params, salt: Buffer.from(m[4] as string, 'base64'), key: Buffer.from(m[5] as string, 'base64') };
}

/** True when `password` matches `stored`; false for a wrong password or a hash this code cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) {
    await dummyVerify();
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when `stored` was made with other parameters than today's: hash the password again at the next login. */
export function needsRehash(stored: string, params: ScryptParams = currentParams): boolean {
  const parsed = parseHash(stored);
  return (
    !parsed ||
    parsed.params.ln !== params.ln ||
    parsed.params.r !== params.r ||
    parsed.params.p !== params.p ||
    parsed.salt.length !== saltBytes ||
    parsed.key.length !== keyBytes
  );
}

let dummy: Promise<ParsedHash> | undefined;

/**
 * Spends the time of one real verification. Called when there is no hash to check (unknown email,
 * locked account) so the answer time does not tell whether an email is registered.
 */
export async function dummyVerify(): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex')).then((h) => parseHash(h) as ParsedHash);
  const { salt, params } = await dummy;
  await derive(randomBytes(16).toString('hex'), salt, params);
  return false;
}

export const passwordLength = { min: 12, max: 128 } as const;

/**
 * What is wrong with a new password, as messages a user can act on (empty when it is acceptable).
 * NIST SP 800-63B: length, no composition rules, but refuse passwords that are common, repetitive
 * or derived from the account's own name.
 */
export function passwordProblems(
  password: string,
  account: { username?: string; email?: string } = {},
): string[] {
  const problems: string[] = [];
  const chars = [...password];
  if (chars.length < passwordLength.min) problems.push(`must be at least ${passwordLength.min} characters`);
  if (chars.length > passwordLength.max) problems.push(`must be at most ${passwordLength.max} characters`);

  const lower = password.toLowerCase();
  if (new Set(chars).size === 1) problems.push('must not be one character repeated');
  else if (/^(.{1,4})\1+$/su.test(lower)) problems.push('must not be a short sequence repeated');
  else if (isCommon(lower)) problems.push('is one of the most common passwords');

  const username = account.username?.toLowerCase();
  if (username && username.length >= 3 && lower.includes(username))
    problems.push('must not contain your username');
  const local = account.email?.toLowerCase().split('@')[0];
  if (local && local.length >= 3 && lower.includes(local))
    problems.push('must not contain your email address');
  return problems;
}

const leet: Readonly<Record<string, string>> = {
  '@': 'a',
  '4': 'a',
  '3': 'e',
  '1': 'i',
  '!': 'i',
  '0': 'o',
  $: 's',
  '5': 's',
  '7': 't',
};

/** The password itself, or with leetspeak undone and digits or symbols trimmed from its ends, is common. */
function isCommon(lower: string): boolean {
  const trimmed = lower.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  const unleet = [...lower].map((c) => leet[c] ?? c).join('');
  const candidates = [
    lower,
    trimmed,
    unleet,
    unleet.replace(/^[\d\W_]+|[\d\W_]+$/g, ''),
    lower.replace(/[\W_]+/g, ''),
  ];
  return candidates.some((c) => c.length > 0 && (commonPasswords.has(c) || isRepeatOfCommon(c)));
}

function isRepeatOfCommon(s: string): boolean {
  const m = /^(.+?)\1+$/s.exec(s);
  return m !== null && commonPasswords.has(m[1] as string);
}

/**
 * The most used passwords of public breach corpora (SecLists, HIBP top lists), lowercase. Short
 * ones matter too: "password123456" is refused because "password" is here.
 */
const commonPasswords: ReadonlySet<string> = new Set(
  `123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball abc123
football monkey letmein shadow master 666666 qwertyuiop 123321 mustang 1234567890 michael 654321 superman
1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer trustno1 jordan jennifer zxcvbnm asdfgh hunter buster
soccer harley batman andrew tigger sunshine iloveyou 2000 charlie robert thomas hockey ranger daniel
starwars klaster 112233 george computer michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom
777777 pass maggie 159753 aaaaaa ginger princess joshua cheese amanda summer love ashley nicole chelsea
biteme matthew access yankees 987654321 dallas austin thunder taylor matrix william corvette hello martin
heather secret merlin diamond 1234qwer gfhjkm hammer silver 222222 88888888 anthony justin test bailey
q1w2e3r4t5 patrick internet scooter orange 11111 golfer cookie richard samantha bigdog guitar jackson
whatever mickey chicken sparky snoopy maverick phoenix camaro peanut morgan welcome falcon cowboy ferrari
samsung andrea smokey steelers joseph mercedes dakota arsenal eagles melissa boomer booboo spider nascar
monster tigers yellow xxxxxx 123123123 gateway marina diablo bulldog qwer1234 compaq purple hardcore
banana junior hannah 123654 porsche lakers iceman money cowboys 987654 london tennis 999999 ncc1701 coffee
scooby 0000 miller boston q1w2e3r4 brandon yamaha chester mother forever johnny edward 333333 oliver
redsox player nikita knight fender barney midnight please brandy chicago badboy slayer rangers charles
angel flower bigdaddy rabbit wizard jasper enter rachel chris steven winner adidas victoria natasha 1q2w3e
jasmine winter prince panties marine ghbdtn fishing cocacola casper james 232323 raiders 888888 marlboro
gandalf asdfasdf crystal 87654321 12344321 golf 8675309 paradise qwert zaq12wsx mozilla pokemon admin
administrator root toor changeme default guest login passw0rd password1 p@ssw0rd letmein1 welcome1
iloveyou1 monkey1 football1 dragon1 baseball1 master1 sunshine1 princess1 qwerty1 abc12345 abcdef
abcdefg abcdefgh abcdefghijkl 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc qwertyuiopasdfghjkl
qwertyuiop123 asdfghjkl zxcvbnm123 qazwsxedc qazwsxedcrfv 123456789012 1234567890123 098765432109
0987654321 11223344 112233445566 123412341234 123456123456 12345678910 123456789abc passwordpassword
password123 passwordqwerty mypassword thepassword newpassword secretpassword supersecret iloveyouiloveyou
correcthorsebatterystaple letmeinplease welcometothejungle trustnoone opensesame masterkey
aaaaaaaaaaaa qwertyqwerty asdfasdfasdf princessprincess blink182 liverpool chelseafc manchester
manchesterunited barcelona realmadrid juventus everton tottenham pakistan india indonesia brazil
eatsential health healthy wellness fitness nutrition`.split(/\s+/),
);
