//! A database as the server has it (`pg_database`): its owner, encoding,
//! collation, character type and default tablespace, in one query.

use serde::Deserialize;

use super::pg_session::{json_row, literal, Found, Session};
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct Database {
    pub owner: String,
    pub encoding: String,
    pub collate: String,
    pub ctype: String,
    pub tablespace: String,
}

impl Database {
    pub(crate) fn command(session: &Session, name: &str) -> Exec {
        session.script(&format!(
            "select json_build_object('owner', pg_catalog.pg_get_userbyid(d.datdba), \
'encoding', pg_catalog.pg_encoding_to_char(d.encoding), 'collate', d.datcollate, \
'ctype', d.datctype, 'tablespace', t.spcname) from pg_catalog.pg_database d \
join pg_catalog.pg_tablespace t on t.oid = d.dattablespace where d.datname = {};\n",
            literal(name)
        ))
    }

    pub(crate) fn parse(out: &Output) -> Result<Found<Database>, String> {
        json_row(out, false)
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        session: &Session,
        name: &str,
    ) -> Result<Found<Database>, String> {
        Database::parse(&super::run(host, &Database::command(session, name)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn a_database_as_recorded_from_postgresql_15() {
        let out = recorded("{\"owner\" : \"localUser\", \"encoding\" : \"UTF8\", \"collate\" : \"C.UTF-8\", \"ctype\" : \"C.UTF-8\", \"tablespace\" : \"pg_default\"}\n");
        assert_eq!(
            Database::parse(&out).unwrap(),
            Found::Present(Database {
                owner: "localUser".into(),
                encoding: "UTF8".into(),
                collate: "C.UTF-8".into(),
                ctype: "C.UTF-8".into(),
                tablespace: "pg_default".into(),
            })
        );
    }
}
