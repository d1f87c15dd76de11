//! A tablespace as the server has it (`pg_tablespace`): owner, location
//! and options (`seq_page_cost=1.1`), in one query.

use serde::Deserialize;

use super::pg_session::{json_row, literal, Found, Session};
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct Tablespace {
    pub owner: String,
    pub location: String,
    /// `name=value`, as PostgreSQL keeps them.
    pub options: Vec<String>,
}

impl Tablespace {
    pub(crate) fn command(session: &Session, name: &str) -> Exec {
        session.script(&format!(
            "select json_build_object('owner', pg_catalog.pg_get_userbyid(spcowner), \
'location', pg_catalog.pg_tablespace_location(oid), 'options', coalesce(spcoptions, '{{}}')) \
from pg_catalog.pg_tablespace where spcname = {};\n",
            literal(name)
        ))
    }

    pub(crate) fn parse(out: &Output) -> Result<Found<Tablespace>, String> {
        json_row(out, false)
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        session: &Session,
        name: &str,
    ) -> Result<Found<Tablespace>, String> {
        Tablespace::parse(&super::run(host, &Tablespace::command(session, name)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn a_tablespace_as_recorded_from_postgresql_15() {
        let out = recorded("{\"owner\" : \"localUser\", \"location\" : \"/srv/my_tablespace\", \"options\" : [\"seq_page_cost=1.1\"]}\n");
        assert_eq!(
            Tablespace::parse(&out).unwrap(),
            Found::Present(Tablespace {
                owner: "localUser".into(),
                location: "/srv/my_tablespace".into(),
                options: vec!["seq_page_cost=1.1".into()],
            })
        );
    }
}
