//! A schema of a database (`pg_namespace`), probed in that database. A
//! database that does not exist holds no schema.

use serde::Deserialize;

use super::pg_session::{json_row, literal, Found, Session};
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct Schema {
    pub owner: String,
}

impl Schema {
    /// `session` connects to the schema's database.
    pub(crate) fn command(session: &Session, name: &str) -> Exec {
        session.script(&format!(
            "select json_build_object('owner', pg_catalog.pg_get_userbyid(nspowner)) \
from pg_catalog.pg_namespace where nspname = {};\n",
            literal(name)
        ))
    }

    pub(crate) fn parse(out: &Output) -> Result<Found<Schema>, String> {
        json_row(out, true)
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        session: &Session,
        name: &str,
    ) -> Result<Found<Schema>, String> {
        Schema::parse(&super::run(host, &Schema::command(session, name)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Output;

    #[test]
    fn a_schema_and_a_database_without_it() {
        let out = crate::facts::recorded("{\"owner\" : \"localUser\"}\n");
        assert_eq!(
            Schema::parse(&out).unwrap(),
            Found::Present(Schema {
                owner: "localUser".into()
            })
        );
        // psql 15, the database not created yet: no schema in it either.
        let nodb = Output {
            code: 2,
            stderr: "psql: error: connection to server on socket \"/tmp/pgobj-pg/sock/.s.PGSQL.55432\" failed: FATAL:  database \"db2\" does not exist\n".into(),
            ..Output::default()
        };
        assert_eq!(Schema::parse(&nodb).unwrap(), Found::Absent);
    }
}
