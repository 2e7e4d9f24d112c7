// Synthetic, anonymized patient records for examples and tests: deterministic from a seed (the same seed gives the
// same bytes on every machine), no real person behind any of them, with a diabetes-risk label that depends on the
// features so a model trained on them learns something. `patientFeatures` is the `patients-v1` feature adapter.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { seededRng } from '../../compute/workloads/random.ts';
import { InvalidDataInputError } from '../errors.ts';

export type PatientRecord = {
  /** Random, unlinkable: no name, date of birth or identifier of a real person. */
  pseudonym: string;
  ageBand: (typeof AGE_BANDS)[number];
  sex: 'F' | 'M';
  /** kg/m², one decimal. */
  bmi: number;
  /** mmHg. */
  systolicBp: number;
  /** Fasting glucose, mg/dL. */
  glucose: number;
  /** %, one decimal. */
  hba1c: number;
  smoker: boolean;
  diabetesRisk: 0 | 1;
};

export const AGE_BANDS = ['18-29', '30-39', '40-49', '50-59', '60-69', '70-79', '80+'] as const;
/** Number of features `patientFeatures` returns. */
export const PATIENT_FEATURES = 7;

/** mulberry32 seeded by a string hash (FNV-1a): small, fast and identical everywhere. */
function rng(seed: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return seededRng(h);
}

/** A standard normal draw (Box-Muller). */
function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * The records of one site, deterministic from (seed, site).
 * @example
 * patientRecords({ site: 'north', count: 3, seed: 7 })[0].pseudonym // 'P-…'
 */
export function patientRecords(p: { site: string; count: number; seed: number }): PatientRecord[] {
  const r = rng(`machina-patients-v1:${p.seed}:${p.site}`);
  // Each site has its own case mix, so datasets from different hospitals differ as real ones do.
  const siteShift = (r() - 0.5) * 0.6;
  return Array.from({ length: p.count }, () => {
    const band = Math.min(AGE_BANDS.length - 1, Math.floor(r() * AGE_BANDS.length));
    const age = 24 + band * 10;
    const sex = r() < 0.5 ? 'F' : 'M';
    const smoker = r() < 0.22;
    const bmi = round1(clamp(26 + siteShift * 3 + normal(r) * 4.5, 16, 48));
    const systolicBp = Math.round(clamp(112 + (age - 40) * 0.45 + (bmi - 26) * 0.8 + normal(r) * 12, 90, 200));
    const glucose = Math.round(clamp(92 + (bmi - 26) * 1.6 + (age - 40) * 0.3 + normal(r) * 14, 65, 260));
    const hba1c = round1(clamp(5.2 + (glucose - 95) * 0.022 + normal(r) * 0.35, 4.2, 12));
    const logit = -1.2 + 1.6 * ((glucose - 100) / 25) + 1.1 * ((hba1c - 5.7) / 0.8) + 0.5 * ((bmi - 27) / 5) + 0.3 * ((age - 50) / 15) + (smoker ? 0.4 : 0) + siteShift;
    const diabetesRisk: 0 | 1 = r() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    const pseudonym = `P-${Math.floor(r() * 2 ** 32).toString(16).padStart(8, '0')}${Math.floor(r() * 2 ** 16).toString(16).padStart(4, '0')}`;
    return { pseudonym, ageBand: AGE_BANDS[band]!, sex, bmi, systolicBp, glucose, hba1c, smoker, diabetesRisk };
  });
}

const SITE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Writes `${site}/p-00001.json` … under `dir` for every site: deterministic, synthetic, anonymized records
 * (one JSON object per file, keys in a fixed order, a trailing newline). Synchronous, so the files are all there
 * when it returns.
 * @example
 * writePatientRecords('data/patients', { sites: ['north', 'south'], perSite: 40, seed: 1 }) // { files: 80, bytes: … }
 */
export function writePatientRecords(dir: string, p: { sites: string[]; perSite: number; seed: number }): { files: number; bytes: number } {
  if (!Array.isArray(p.sites) || p.sites.length === 0) throw new InvalidDataInputError('sites', 'name at least one site');
  p.sites.forEach((s, i) => {
    if (typeof s !== 'string' || !SITE_NAME.test(s)) throw new InvalidDataInputError(`sites[${i}]`, `must be a lowercase folder name (a-z, 0-9, . _ -), got ${JSON.stringify(s)}`);
  });
  if (new Set(p.sites).size !== p.sites.length) throw new InvalidDataInputError('sites', 'every site must be named once');
  if (!Number.isSafeInteger(p.perSite) || p.perSite < 1 || p.perSite > 99_999) throw new InvalidDataInputError('perSite', `must be an integer 1-99999 (got ${String(p.perSite)})`);
  if (!Number.isSafeInteger(p.seed)) throw new InvalidDataInputError('seed', `must be an integer (got ${String(p.seed)})`);
  let files = 0;
  let bytes = 0;
  for (const site of p.sites) {
    mkdirSync(path.join(dir, site), { recursive: true });
    patientRecords({ site, count: p.perSite, seed: p.seed }).forEach((rec, i) => {
      const text = `${JSON.stringify(rec)}\n`;
      writeFileSync(path.join(dir, site, `p-${String(i + 1).padStart(5, '0')}.json`), text);
      files++;
      bytes += Buffer.byteLength(text);
    });
  }
  return { files, bytes };
}

function num(rec: Record<string, unknown>, field: string, lo: number, hi: number): number {
  const v = rec[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new InvalidDataInputError(field, `must be a number ${lo}-${hi} (got ${JSON.stringify(v)})`);
  return v;
}

/**
 * The `patients-v1` features of one record (its JSON text, bytes, or the parsed object): seven numbers scaled to
 * about -2..2 (age, sex, BMI, blood pressure, glucose, HbA1c, smoker) and the label.
 * @example
 * patientFeatures('{"pseudonym":"P-1","ageBand":"50-59","sex":"F",…,"diabetesRisk":1}') // { x: [0.5, 1, …], y: 1 }
 */
export function patientFeatures(recordJson: string | Uint8Array | Record<string, unknown>): { x: number[]; y: number } {
  let rec: unknown = recordJson;
  if (typeof recordJson === 'string' || recordJson instanceof Uint8Array) {
    try {
      rec = JSON.parse(typeof recordJson === 'string' ? recordJson : new TextDecoder('utf-8', { fatal: true }).decode(recordJson));
    } catch {
      throw new InvalidDataInputError('record', 'is not a UTF-8 JSON patient record');
    }
  }
  if (!rec || typeof rec !== 'object' || Array.isArray(rec)) throw new InvalidDataInputError('record', 'must be a JSON object');
  const r = rec as Record<string, unknown>;
  const band = AGE_BANDS.indexOf(r.ageBand as PatientRecord['ageBand']);
  if (band < 0) throw new InvalidDataInputError('ageBand', `must be one of ${AGE_BANDS.join(', ')} (got ${JSON.stringify(r.ageBand)})`);
  if (r.sex !== 'F' && r.sex !== 'M') throw new InvalidDataInputError('sex', `must be "F" or "M" (got ${JSON.stringify(r.sex)})`);
  if (typeof r.smoker !== 'boolean') throw new InvalidDataInputError('smoker', `must be true or false (got ${JSON.stringify(r.smoker)})`);
  if (r.diabetesRisk !== 0 && r.diabetesRisk !== 1) throw new InvalidDataInputError('diabetesRisk', `must be 0 or 1 (got ${JSON.stringify(r.diabetesRisk)})`);
  const age = 24 + band * 10;
  const x = [
    (age - 50) / 20,
    r.sex === 'F' ? 1 : 0,
    (num(r, 'bmi', 10, 80) - 27) / 5,
    (num(r, 'systolicBp', 60, 260) - 125) / 20,
    (num(r, 'glucose', 40, 400) - 100) / 25,
    (num(r, 'hba1c', 3, 16) - 5.7) / 0.8,
    r.smoker ? 1 : 0,
  ];
  return { x, y: r.diabetesRisk };
}
