//! Terminal colours, as Salt's outputters use them, or none.

#[derive(Clone, Copy, Debug)]
pub struct Palette {
    pub green: &'static str,
    pub cyan: &'static str,
    pub red: &'static str,
    pub light_yellow: &'static str,
    pub endc: &'static str,
}

impl Palette {
    pub const PLAIN: Palette = Palette {
        green: "",
        cyan: "",
        red: "",
        light_yellow: "",
        endc: "",
    };
    pub const COLOR: Palette = Palette {
        green: "\x1b[0;32m",
        cyan: "\x1b[0;36m",
        red: "\x1b[0;31m",
        light_yellow: "\x1b[1;33m",
        endc: "\x1b[0;0m",
    };
}
