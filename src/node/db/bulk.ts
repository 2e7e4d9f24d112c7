// Set-based writes: a whole batch of rows travels as one JSON parameter and lands in one
// statement, which is what makes ingestion fast on both PGlite and PostgreSQL.
import { sql, type Kysely } from 'kysely';

export type Row = Record<string, unknown>;

/**
 * JSON for the database: bigints as decimal strings (numeric columns take them as they are), and
 * NUL characters replaced, since Postgres text and jsonb refuse them and chain strings may hold any.
 */
export function toJson(value: unknown): string {
  const json = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  // JSON.stringify writes NUL as \u0000 (keys and values alike); an escaped backslash before it is not one.
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : json;
}

/**
 * Inserts `rows` into `table`, or updates the existing row with the same `primaryKey`. Every row
 * must carry every column in `columns` (missing ones are written as null).
 * @example
 * await upsertRows(tx, 'agents', ['agent_id'], ['agent_id', 'owner'], rows)
 */
export async function upsertRows(db: Kysely<any>, table: string, primaryKey: string[], columns: string[], rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const cols = sql.join(columns.map((c) => sql.id(c)));
  const updates = columns.filter((c) => !primaryKey.includes(c)).map((c) => sql`${sql.id(c)} = excluded.${sql.id(c)}`);
  const conflict =
    updates.length > 0 ? sql`on conflict (${sql.join(primaryKey.map((c) => sql.id(c)))}) do update set ${sql.join(updates)}` : sql`on conflict do nothing`;
  await sql`
    insert into ${sql.id(table)} (${cols})
    select ${cols} from jsonb_populate_recordset(null::${sql.id(table)}, ${toJson(rows)}::jsonb)
    ${conflict}
  `.execute(db);
}

/**
 * Updates `columns` of existing rows, matched on `key`, from `rows` (other fields are ignored).
 * @example
 * await updateColumns(tx, 'agents', ['agent_id'], ['feedback_count'], rows)
 */
export async function updateColumns(db: Kysely<any>, table: string, key: string[], columns: string[], rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const slim = rows.map((r) => Object.fromEntries([...key, ...columns].map((c) => [c, r[c]])));
  await sql`
    update ${sql.id(table)} as t set ${sql.join(columns.map((c) => sql`${sql.id(c)} = r.${sql.id(c)}`))}
    from jsonb_populate_recordset(null::${sql.id(table)}, ${toJson(slim)}::jsonb) as r
    where ${sql.join(key.map((c) => sql`t.${sql.id(c)} = r.${sql.id(c)}`), sql` and `)}
  `.execute(db);
}

/**
 * A list of values as one JSON parameter, to join against: `from ${jsonList(ids)} k join t on t.id = k.value::numeric`
 * (a join lets the planner use the table's index, where `in (subquery)` scans).
 */
export function jsonList(values: readonly unknown[]) {
  return sql`jsonb_array_elements_text(${toJson(values)}::jsonb)`;
}
