//! Writes every input table (`in/tables/*`) to `<root>/<project id>/<parameters.directory>/<name>`
//! as CSV, each file replaced whole (written next to it, then renamed), so a reader never sees
//! half a file. The root comes from the registry's command (`--root`), set by the stack's
//! administrator, and every project gets its own folder in it (`KBC_PROJECTID`), so one project
//! cannot replace another's files; a configuration only chooses a directory inside its project's
//! folder, and a path that leads out of it (`..`, an absolute path, a symlink) is refused.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};

use super::{parameters, UserError};

pub fn run(dir: &Path, root: &Path) -> Result<()> {
    let params = parameters(dir)?;
    let relative = params["directory"].as_str().unwrap_or(".");
    let root = root.join(project_id()?);
    let target = inside(&root, relative)?;
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
        println!(
            "Wrote {bytes} bytes to {}/{name}",
            relative.trim_end_matches('/')
        );
    }
    Ok(())
}

/// The job's project, as the stack names it: the folder of the project under the root.
fn project_id() -> Result<String> {
    let id = std::env::var("KBC_PROJECTID")
        .context("KBC_PROJECTID is not set; a component runs inside a job of a stack")?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!("KBC_PROJECTID '{id}' is not a project id");
    }
    Ok(id)
}

/// `relative` under `root`, created when missing; refused when it would lead outside.
fn inside(root: &Path, relative: &str) -> Result<PathBuf> {
    let path = Path::new(relative);
    if path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(UserError(format!(
            "parameters.directory '{relative}' must be a relative path inside the export directory, without '..'"
        ))
        .into());
    }
    std::fs::create_dir_all(root)
        .with_context(|| format!("creating the export directory {}", root.display()))?;
    let root = root
        .canonicalize()
        .with_context(|| format!("reading the export directory {}", root.display()))?;
    let target = root.join(path);
    std::fs::create_dir_all(&target)
        .map_err(|e| UserError(format!("cannot create directory '{relative}': {e}")))?;
    let real = target.canonicalize()?;
    if !real.starts_with(&root) {
        return Err(UserError(format!(
            "parameters.directory '{relative}' leads outside the export directory (through a symlink)"
        ))
        .into());
    }
    Ok(real)
}
