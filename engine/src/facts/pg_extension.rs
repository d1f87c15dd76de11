//! An extension in a database: whether the server has it to install
//! (`pg_available_extensions`) and, if installed (`pg_extension`), its
//! version, schema and whether it can move to another schema. Probed in
//! that database, in one query.

use serde::Deserialize;

use super::pg_session::{json_row, literal, Found, Session};
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct Extension {
    /// The server has it (its files are installed), whether or not it is
    /// created in this database.
    pub available: bool,
    pub installed: Option<Installed>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct Installed {
    pub version: String,
    pub schema: String,
    pub relocatable: bool,
}

impl Extension {
    /// `session` connects to the extension's database.
    pub(crate) fn command(session: &Session, name: &str) -> Exec {
        let n = literal(name);
        session.script(&format!(
            "select json_build_object(\
'available', exists(select 1 from pg_catalog.pg_available_extensions where lower(name) = lower({n})), \
'installed', (select json_build_object('version', e.extversion, 'schema', s.nspname, 'relocatable', e.extrelocatable) \
from pg_catalog.pg_extension e join pg_catalog.pg_namespace s on s.oid = e.extnamespace where e.extname = {n}));\n"
        ))
    }

    /// `Absent` only when the database does not exist; otherwise what
    /// the server has.
    pub(crate) fn parse(out: &Output) -> Result<Found<Extension>, String> {
        json_row(out, true)
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        session: &Session,
        name: &str,
    ) -> Result<Found<Extension>, String> {
        Extension::parse(&super::run(host, &Extension::command(session, name)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn installed_and_available_as_recorded_from_postgresql_15() {
        let out = recorded("{\"available\" : true, \"installed\" : {\"version\" : \"1.1\", \"schema\" : \"public\", \"relocatable\" : true}}\n");
        let Found::Present(e) = Extension::parse(&out).unwrap() else {
            panic!()
        };
        assert!(e.available);
        assert_eq!(
            e.installed,
            Some(Installed {
                version: "1.1".into(),
                schema: "public".into(),
                relocatable: true
            })
        );
        let out = recorded("{\"available\" : false, \"installed\" : null}\n");
        let Found::Present(e) = Extension::parse(&out).unwrap() else {
            panic!()
        };
        assert!(!e.available && e.installed.is_none());
    }
}
