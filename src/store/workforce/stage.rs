//! Where a workforce import writes its checked rows, batch by batch, inside the import's
//! transaction, so a file of any size is imported in constant memory.
//!
//! A snapshot new to the store goes straight into `staff_record` ([`Target::Records`]):
//! nothing stored can conflict with it, and a person given twice is found there by line. A
//! snapshot that replaces a stored one goes to the staging table ([`Target::Stage`]): once
//! the whole file is read, its rows are checked against the stored snapshot's (record keys
//! are permanent), then copied into `staff_record` in one pass.
//!
//! The staging table is temporary: only the import's connection sees it, and it goes with
//! the transaction (PostgreSQL: `ON COMMIT DROP`; SQLite: dropped before commit, and its
//! creation is rolled back with everything else).

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::store::bulk::{BulkSession, CopyRows};
use crate::store::error::StoreError;

/// The staging table of rows.
pub const ROWS: &str = "staff_stage";
/// The staging table mapping each staged snapshot to the snapshot it becomes.
pub const MAP: &str = "stage_map";

/// Staged rows per multi-row `INSERT` on SQLite: 17 values each stays under its 32,766 bound
/// parameters.
const ROWS_PER_INSERT: usize = 1_000;

/// A staff record ready to write, every name resolved to an id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord<'a> {
    /// Employer id.
    pub employer_id: i32,
    /// The snapshot's year.
    pub year: i32,
    /// The keyed hash of the person reference.
    pub person_hash: &'a str,
    /// Business unit id.
    pub business_unit_id: i32,
    /// Grade id.
    pub grade_id: i32,
    /// The grade's level.
    pub grade_level: i32,
    /// Local authority code.
    pub work_area: &'a str,
    /// Region code of the local authority.
    pub work_region: &'a str,
    /// Year joined.
    pub joined_year: Option<i32>,
    /// Answer codes, in the order of [`crate::domain::seb::Measure::ALL`].
    pub answers: [Option<&'static str>; 5],
    /// Engagement score.
    pub engagement: Option<f64>,
    /// The record key of the cell key method.
    pub record_key: u8,
}

/// A checked row of the file, every name resolved to an id.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedRecord<'a> {
    /// Its line in the file.
    pub line: u64,
    /// The snapshot it belongs to: for [`Target::Stage`], the caller's numbering of the
    /// file's snapshots; for [`Target::Records`], the stored snapshot's id.
    pub snapshot: i32,
    /// The record key the file gives, if any (checked against a stored one).
    pub key_given: Option<u8>,
    /// The record, with the key it gets unless the person keeps a stored one.
    pub record: NewRecord<'a>,
}

/// Where a batch of rows is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The staging table, for a snapshot that replaces a stored one.
    Stage,
    /// `staff_record`, for a snapshot new to the store.
    Records,
}

/// The columns both tables take, in the order rows are written; the staging table then
/// takes `key_given`.
const SHARED: &str = "line, employer_id, year, person_hash, business_unit_id, grade_id, \
    grade_level, work_area, work_region, joined_year, parental_occupation, school_type, \
    free_school_meals, parental_degree, self_assessed, engagement, record_key";

/// How many columns [`SHARED`] names.
const SHARED_COUNT: usize = 17;

impl Target {
    /// The table.
    fn table(self) -> &'static str {
        match self {
            Target::Stage => ROWS,
            Target::Records => "staff_record",
        }
    }

    /// The column of the snapshot a row belongs to.
    fn snapshot_column(self) -> &'static str {
        match self {
            Target::Stage => "snap",
            Target::Records => "snapshot_id",
        }
    }

    /// Every column written, in order: the snapshot's, [`SHARED`], then the given key when
    /// staging.
    fn columns(self) -> String {
        let snapshot = self.snapshot_column();
        match self {
            Target::Stage => format!("{snapshot}, {SHARED}, key_given"),
            Target::Records => format!("{snapshot}, {SHARED}"),
        }
    }

    /// How many columns [`Target::columns`] names.
    fn column_count(self) -> usize {
        match self {
            Target::Stage => SHARED_COUNT + 2,
            Target::Records => SHARED_COUNT + 1,
        }
    }
}

/// Creates the (empty) staging table for this transaction.
pub async fn create(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    let on_commit = match db.get_database_backend() {
        DbBackend::Postgres => " ON COMMIT DROP",
        _ => "",
    };
    for table in [ROWS, MAP] {
        db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
            .await?;
    }
    db.execute_unprepared(&format!(
        "CREATE TEMPORARY TABLE {MAP} (snap INTEGER NOT NULL, snapshot_id INTEGER NOT NULL)\
         {on_commit}"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "CREATE TEMPORARY TABLE staff_stage (line BIGINT NOT NULL, snap INTEGER NOT NULL, \
         employer_id INTEGER NOT NULL, year INTEGER NOT NULL, \
         key_given INTEGER, person_hash TEXT NOT NULL, business_unit_id INTEGER NOT NULL, \
         grade_id INTEGER NOT NULL, grade_level INTEGER NOT NULL, work_area TEXT NOT NULL, \
         work_region TEXT NOT NULL, joined_year INTEGER, parental_occupation TEXT, \
         school_type TEXT, free_school_meals TEXT, parental_degree TEXT, self_assessed TEXT, \
         engagement DOUBLE PRECISION, record_key INTEGER NOT NULL){on_commit}"
    ))
    .await?;
    Ok(())
}

/// Drops the staging tables (SQLite keeps temporary tables with the connection).
pub async fn drop(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    if db.get_database_backend() != DbBackend::Postgres {
        for table in [ROWS, MAP] {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
    }
    Ok(())
}

/// Writes a batch of rows to `target`: through `COPY` when the transaction is a
/// [`BulkSession`], else by statements.
pub async fn write(
    db: &impl ConnectionTrait,
    bulk: Option<&BulkSession>,
    target: Target,
    rows: &[StagedRecord<'_>],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    if let Some(session) = bulk {
        let statement = format!("COPY {} ({}) FROM STDIN", target.table(), target.columns());
        session
            .copy_in(&statement, copy_rows(target, rows).as_bytes())
            .await?;
        return Ok(());
    }
    if db.get_database_backend() == DbBackend::Postgres {
        return write_unnest(db, target, rows).await;
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * target.column_count());
        for r in chunk {
            let n = &r.record;
            let [po, school, fsm, degree, own] = n.answers;
            values.extend([
                r.snapshot.into(),
                (r.line as i64).into(),
                n.employer_id.into(),
                n.year.into(),
                n.person_hash.into(),
                n.business_unit_id.into(),
                n.grade_id.into(),
                n.grade_level.into(),
                n.work_area.into(),
                n.work_region.into(),
                n.joined_year.into(),
                po.into(),
                school.into(),
                fsm.into(),
                degree.into(),
                own.into(),
                n.engagement.into(),
                i32::from(n.record_key).into(),
            ]);
            if target == Target::Stage {
                values.push(r.key_given.map(i32::from).into());
            }
        }
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sqlite_insert(target, chunk.len()),
            values,
        ))
        .await?;
    }
    Ok(())
}

/// The rows for `COPY`, columns in the order of [`Target::columns`].
fn copy_rows(target: Target, rows: &[StagedRecord<'_>]) -> CopyRows {
    let mut out = CopyRows::with_capacity(rows.len() * 170);
    for r in rows {
        let n = &r.record;
        out.number(r.snapshot)
            .number(r.line)
            .number(n.employer_id)
            .number(n.year)
            .text(n.person_hash)
            .number(n.business_unit_id)
            .number(n.grade_id)
            .number(n.grade_level)
            .text(n.work_area)
            .text(n.work_region)
            .maybe(n.joined_year, |o, year| _ = o.number(year));
        for answer in n.answers {
            out.maybe(answer, |o, code| _ = o.text(code));
        }
        out.maybe(n.engagement, |o, score| _ = o.double(score))
            .number(n.record_key);
        if target == Target::Stage {
            out.maybe(r.key_given, |o, key| _ = o.number(key));
        }
        out.end_row();
    }
    out
}

/// SQLite's `INSERT` of `rows` rows into `target`: the same text for every full chunk, made
/// once, so the driver's statement cache prepares it once (building the statement anew for
/// each chunk cost more than SQLite's insert).
fn sqlite_insert(target: Target, rows: usize) -> String {
    static FULL: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
    let build = |target: Target, rows: usize| {
        let row = format!("({})", vec!["?"; target.column_count()].join(", "));
        format!(
            "INSERT INTO {} ({}) VALUES {}",
            target.table(),
            target.columns(),
            vec![row.as_str(); rows].join(", ")
        )
    };
    if rows == ROWS_PER_INSERT {
        let full = FULL
            .get_or_init(|| [Target::Stage, Target::Records].map(|t| build(t, ROWS_PER_INSERT)));
        full[target as usize].clone()
    } else {
        build(target, rows)
    }
}

/// PostgreSQL: one array per column, unnested server-side. Parsing and binding a 17,000
/// parameter `VALUES` list costs PostgreSQL more than the insert itself; 19 arrays cost
/// almost nothing.
///
/// The database driver binds arrays without NULL elements, so a missing value travels as a
/// value no valid record holds (`''` for an answer, 0 for a year, -1 for a score or key) and
/// `NULLIF` restores the NULL.
async fn write_unnest(
    db: &impl ConnectionTrait,
    target: Target,
    rows: &[StagedRecord<'_>],
) -> Result<(), StoreError> {
    let (key_given, key_array) = match target {
        Target::Stage => (", NULLIF(t.kg, -1)", ", $19::int4[]"),
        Target::Records => ("", ""),
    };
    let sql = format!(
        "INSERT INTO {} ({}) \
         SELECT t.snap, t.line, t.emp, t.yr, t.h, t.u, t.g, t.l, t.a, t.r, NULLIF(t.j, 0), \
           NULLIF(t.a1, ''), NULLIF(t.a2, ''), NULLIF(t.a3, ''), NULLIF(t.a4, ''), \
           NULLIF(t.a5, ''), NULLIF(t.e, -1), t.k{key_given} \
         FROM UNNEST($1::int4[], $2::int8[], $3::int4[], $4::int4[], $5::text[], $6::int4[], \
           $7::int4[], $8::int4[], $9::text[], $10::text[], $11::int4[], $12::text[], \
           $13::text[], $14::text[], $15::text[], $16::text[], $17::float8[], \
           $18::int4[]{key_array}) \
           AS t(snap, line, emp, yr, h, u, g, l, a, r, j, a1, a2, a3, a4, a5, e, k{kg})",
        target.table(),
        target.columns(),
        kg = if target == Target::Stage { ", kg" } else { "" },
    );
    fn texts(rows: &[StagedRecord<'_>], column: impl Fn(&StagedRecord<'_>) -> String) -> Value {
        rows.iter().map(column).collect::<Vec<String>>().into()
    }
    let ints = |column: &dyn Fn(&StagedRecord<'_>) -> i32| -> Value {
        rows.iter().map(column).collect::<Vec<i32>>().into()
    };
    let answer = |i: usize| texts(rows, |r| r.record.answers[i].unwrap_or("").to_owned());
    let mut values = vec![
        ints(&|r| r.snapshot),
        rows.iter()
            .map(|r| r.line as i64)
            .collect::<Vec<i64>>()
            .into(),
        ints(&|r| r.record.employer_id),
        ints(&|r| r.record.year),
        texts(rows, |r| r.record.person_hash.to_owned()),
        ints(&|r| r.record.business_unit_id),
        ints(&|r| r.record.grade_id),
        ints(&|r| r.record.grade_level),
        texts(rows, |r| r.record.work_area.to_owned()),
        texts(rows, |r| r.record.work_region.to_owned()),
        ints(&|r| r.record.joined_year.unwrap_or(0)),
        answer(0),
        answer(1),
        answer(2),
        answer(3),
        answer(4),
        rows.iter()
            .map(|r| r.record.engagement.unwrap_or(-1.0))
            .collect::<Vec<f64>>()
            .into(),
        ints(&|r| i32::from(r.record.record_key)),
    ];
    if target == Target::Stage {
        values.push(ints(&|r| r.key_given.map_or(-1, i32::from)));
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await?;
    Ok(())
}

/// `sql` with `values` for the store's engine: PostgreSQL's `$n` placeholders (each used
/// once, in order) become SQLite's `?`.
fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        // `$n` placeholders, in order, become SQLite's `?`.
        _ => {
            let mut out = String::with_capacity(sql.len());
            let mut chars = sql.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' {
                    while chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    }
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            out
        }
    };
    Statement::from_sql_and_values(backend, sql, values)
}

async fn rows_of(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<sea_orm::QueryResult>, StoreError> {
    Ok(db.query_all_raw(statement(db, sql, values)).await?)
}

async fn execute(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<(), StoreError> {
    db.execute_raw(statement(db, sql, values)).await?;
    Ok(())
}

/// A row that repeats a person already written for the same snapshot: its line, its
/// snapshot and the line where the person first appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The repeating row's line.
    pub line: u64,
    /// Its snapshot, as [`StagedRecord::snapshot`] numbers it for the target.
    pub snapshot: i32,
    /// The person's first line.
    pub first: u64,
}

/// Every row written to `target` for one of `snapshots` that repeats a person already
/// written for the same snapshot, by line.
pub async fn repeats(
    db: &impl ConnectionTrait,
    target: Target,
    snapshots: &[i32],
) -> Result<Vec<Repeat>, StoreError> {
    if snapshots.is_empty() {
        return Ok(Vec::new());
    }
    let (table, snap) = (target.table(), target.snapshot_column());
    let list = snapshots
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT s.line, s.{snap}, f.first FROM {table} s \
        JOIN (SELECT {snap}, person_hash, MIN(line) AS first FROM {table} \
              WHERE {snap} IN ({list}) \
              GROUP BY {snap}, person_hash HAVING COUNT(*) > 1) f \
          ON f.{snap} = s.{snap} AND f.person_hash = s.person_hash \
        WHERE s.line > f.first ORDER BY s.line"
    );
    rows_of(db, &sql, Vec::new())
        .await?
        .iter()
        .map(|row| {
            let line: i64 = row.try_get_by_index(0)?;
            let first: i64 = row.try_get_by_index(2)?;
            Ok(Repeat {
                line: line as u64,
                snapshot: row.try_get_by_index(1)?,
                first: first as u64,
            })
        })
        .collect()
}

/// A staged row whose given record key differs from the one its person has in the stored
/// snapshot: its line, the key given and the key kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConflict {
    /// The row's line.
    pub line: u64,
    /// The key the file gives.
    pub given: i32,
    /// The key the person has.
    pub kept: i32,
}

/// The rows of staged snapshot `snapshot` that give another record key than their person
/// has in the stored snapshot `stored` (record keys are permanent).
pub async fn key_conflicts(
    db: &impl ConnectionTrait,
    snapshot: i32,
    stored: i32,
) -> Result<Vec<KeyConflict>, StoreError> {
    let sql = "SELECT s.line, s.key_given, r.record_key FROM staff_stage s \
        JOIN staff_record r ON r.snapshot_id = $1 AND r.person_hash = s.person_hash \
        WHERE s.snap = $2 AND s.key_given IS NOT NULL AND s.key_given <> r.record_key \
        ORDER BY s.line";
    rows_of(db, sql, vec![stored.into(), snapshot.into()])
        .await?
        .iter()
        .map(|row| {
            let line: i64 = row.try_get_by_index(0)?;
            Ok(KeyConflict {
                line: line as u64,
                given: row.try_get_by_index(1)?,
                kept: row.try_get_by_index(2)?,
            })
        })
        .collect()
}

/// Staged rows whose people have other record keys in the stored snapshot, grouped by what
/// their cells depend on, with the sum of their key changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Rekeyed {
    /// Business unit id.
    pub business_unit_id: i32,
    /// The grade's level.
    pub grade_level: i32,
    /// Local authority code.
    pub work_area: String,
    /// Year joined.
    pub joined_year: Option<i32>,
    /// Answer codes, in the order of [`crate::domain::seb::Measure::ALL`].
    pub answers: [Option<String>; 5],
    /// Whether they have an engagement score.
    pub scored: bool,
    /// The sum over the rows of the key kept minus the key staged.
    pub key_change: i64,
}

/// Gives the people of staged snapshot `snapshot` who are in the stored snapshot `stored`
/// the record key they have there; returns the rows whose key changed, grouped so that the
/// answer is bounded by the combinations of what cells depend on, not by the rows.
pub async fn keep_keys(
    db: &impl ConnectionTrait,
    snapshot: i32,
    stored: i32,
) -> Result<Vec<Rekeyed>, StoreError> {
    let select = "SELECT s.business_unit_id, s.grade_level, s.work_area, s.joined_year, \
          s.parental_occupation, s.school_type, s.free_school_meals, s.parental_degree, \
          s.self_assessed, CASE WHEN s.engagement IS NULL THEN 0 ELSE 1 END AS scored, \
          SUM(r.record_key - s.record_key) AS key_change \
        FROM staff_stage s JOIN staff_record r \
          ON r.snapshot_id = $1 AND r.person_hash = s.person_hash \
        WHERE s.snap = $2 AND s.record_key <> r.record_key \
        GROUP BY s.business_unit_id, s.grade_level, s.work_area, s.joined_year, \
          s.parental_occupation, s.school_type, s.free_school_meals, s.parental_degree, \
          s.self_assessed, CASE WHEN s.engagement IS NULL THEN 0 ELSE 1 END";
    let groups = rows_of(db, select, vec![stored.into(), snapshot.into()])
        .await?
        .iter()
        .map(|row| {
            let mut answers: [Option<String>; 5] = Default::default();
            for (i, answer) in answers.iter_mut().enumerate() {
                *answer = row.try_get_by_index(4 + i)?;
            }
            let scored: i32 = row.try_get_by_index(9)?;
            Ok(Rekeyed {
                business_unit_id: row.try_get_by_index(0)?,
                grade_level: row.try_get_by_index(1)?,
                work_area: row.try_get_by_index(2)?,
                joined_year: row.try_get_by_index(3)?,
                answers,
                scored: scored != 0,
                key_change: row.try_get_by_index(10)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let sql = "UPDATE staff_stage SET record_key = r.record_key FROM staff_record r \
        WHERE r.snapshot_id = $1 AND r.person_hash = staff_stage.person_hash \
          AND staff_stage.snap = $2 AND staff_stage.record_key <> r.record_key";
    execute(db, sql, vec![stored.into(), snapshot.into()]).await?;
    Ok(groups)
}

/// Records that staged snapshot `snapshot` becomes snapshot `snapshot_id`.
pub async fn map(
    db: &impl ConnectionTrait,
    snapshot: i32,
    snapshot_id: i32,
) -> Result<(), StoreError> {
    let sql = format!("INSERT INTO {MAP} (snap, snapshot_id) VALUES ($1, $2)");
    execute(db, &sql, vec![snapshot.into(), snapshot_id.into()]).await
}

/// Copies every staged row into `staff_record`, in the snapshot its staged snapshot is
/// mapped to.
pub async fn publish(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO staff_record (snapshot_id, {SHARED}) \
        SELECT m.snapshot_id, {shared} FROM {ROWS} s JOIN {MAP} m ON m.snap = s.snap",
        shared = SHARED
            .split(", ")
            .map(|c| format!("s.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    execute(db, &sql, Vec::new()).await
}
