// A Kysely dialect over PGlite (embedded, single-connection Postgres in WebAssembly): the same
// SQL, adapter and introspector as the `pg` dialect, so one query layer serves both databases.
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/** What the dialect needs of the database: PGlite's query and exec. */
export type PGliteLike = Pick<PGlite, 'query' | 'exec'>;

/**
 * Kysely dialect for one PGlite database. PGlite has a single session, so the driver hands out one
 * connection at a time: a transaction holds it until commit and nothing else can slip into it.
 * @example
 * const db = new Kysely<any>({ dialect: new PGliteDialect(await PGlite.create(dir)) })
 */
export class PGliteDialect implements Dialect {
  readonly #pg: PGliteLike;
  constructor(pg: PGliteLike) {
    this.#pg = pg;
  }
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.#pg);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  // Tail of the queue of connection holders: each acquire waits for the previous release.
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(pg: PGliteLike) {
    this.#connection = new PGliteConnection(pg);
  }
  async init() {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.#connection;
  }
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    let sql = 'begin';
    if (settings.isolationLevel) sql += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) sql += ` ${settings.accessMode}`;
    await connection.executeQuery(CompiledQuery.raw(sql));
  }
  async commitTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async savepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`));
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint "${name}"`));
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint "${name}"`));
  }
  async releaseConnection() {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
  async destroy() {
    // The owner of the PGlite instance closes it (it may outlive this Kysely instance).
  }
}

class PGliteConnection implements DatabaseConnection {
  readonly #pg: PGliteLike;
  constructor(pg: PGliteLike) {
    this.#pg = pg;
  }
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // Without parameters, the simple protocol (exec) also runs multi-statement scripts such as
    // migrations, as node-postgres does; its last statement's result is the answer.
    const result =
      compiled.parameters.length === 0
        ? ((await this.#pg.exec(compiled.sql)).at(-1) ?? { rows: [], affectedRows: 0 })
        : await this.#pg.query<R>(compiled.sql, [...compiled.parameters]);
    return {
      rows: result.rows as R[],
      ...(result.affectedRows !== undefined ? { numAffectedRows: BigInt(result.affectedRows) } : {}),
    };
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGliteDialect does not stream query results');
  }
}
