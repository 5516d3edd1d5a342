//! Writes every input table (`in/tables/*`) to `<directory>/<name>` as CSV, each file replaced
//! whole (written next to it, then renamed), so a reader never sees half a file. Parameters:
//! `directory`, which must exist.

use std::path::Path;

use anyhow::{Context, Result};

use super::{parameters, UserError};

pub fn run(dir: &Path) -> Result<()> {
    let params = parameters(dir)?;
    let target = params["directory"].as_str().ok_or_else(|| {
        UserError("parameters.directory is missing: name the directory to write to".into())
    })?;
    let target = Path::new(target);
    if !target.is_dir() {
        return Err(UserError(format!(
            "parameters.directory {} is not a directory",
            target.display()
        ))
        .into());
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.join("in/tables"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".manifest"))
        .collect();
    names.sort();
    if names.is_empty() {
        println!("No input tables: map some in storage.input.tables");
    }
    for name in names {
        let from = dir.join("in/tables").join(&name);
        let to = target.join(&name);
        let partial = target.join(format!(".{name}.partial"));
        let bytes = std::fs::copy(&from, &partial)
            .with_context(|| format!("writing {}", partial.display()))?;
        std::fs::rename(&partial, &to).with_context(|| format!("replacing {}", to.display()))?;
        println!("Wrote {bytes} bytes to {}", to.display());
    }
    Ok(())
}
