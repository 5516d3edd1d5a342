//! The data folder of the common interface (`docs/common-interface.md`): what a component
//! program reads and writes. Created owner-only for one run of one job and removed afterwards,
//! whatever happened, because `config.json` holds the configuration's secrets in plaintext.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::runner::Failure;
use super::transformation::{input_stream, Input, Output};
use crate::csv::{CsvReader, CsvWriter, Dialect, Record};
use crate::ops::auth::TokenAuth;
use crate::Stack;

pub(crate) struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// A fresh data folder at `root` (a leftover of a crashed job is removed first).
    pub fn create(root: &Path) -> Result<DataDir, Failure> {
        if root.exists() {
            std::fs::remove_dir_all(root).map_err(crate::Error::from)?;
        }
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true).mode(0o700);
        for sub in ["in/tables", "in/files", "out/tables", "out/files"] {
            builder.create(root.join(sub)).map_err(crate::Error::from)?;
        }
        Ok(DataDir {
            root: root.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Writes `config.json` (owner-only) and `in/state.json`.
    pub fn write_config(
        &self,
        config: &serde_json::Value,
        state: &serde_json::Value,
    ) -> Result<(), Failure> {
        for (name, value) in [("config.json", config), ("in/state.json", state)] {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(self.root.join(name))
                .map_err(crate::Error::from)?;
            serde_json::to_writer(&mut file, value).map_err(crate::Error::from)?;
            file.flush().map_err(crate::Error::from)?;
        }
        Ok(())
    }

    /// Writes one input table as `in/tables/<destination>` with its manifest; returns its rows.
    pub fn write_input(
        &self,
        stack: &Stack,
        auth: &TokenAuth,
        input: &Input,
    ) -> Result<(String, u64), Failure> {
        let (source, stream) = input_stream(stack, auth, input)?;
        let name = input
            .destination
            .clone()
            .unwrap_or_else(|| format!("{source}.csv"));
        if name.contains('/') || name.starts_with('.') || name.is_empty() {
            return Err(Failure::failed(format!(
                "input mapping of {source}: destination '{name}' must be a plain file name"
            )));
        }
        let path = self.root.join("in/tables").join(&name);
        let file = std::fs::File::create(&path).map_err(crate::Error::from)?;
        let mut csv = CsvWriter::new(std::io::BufWriter::new(file));
        csv.write_record(stream.columns().iter().map(|c| c.as_str().as_bytes()))
            .map_err(crate::Error::from)?;
        let rows = stream.visit_rows(stack, &mut |values, _| {
            csv.write_record(values.iter().copied())?;
            Ok(())
        })?;
        csv.finish()
            .and_then(|mut w| w.flush())
            .map_err(crate::Error::from)?;
        let manifest = json!({
            "id": source.to_string(),
            "columns": stream.columns(),
            "rows_count": rows,
        });
        std::fs::write(
            self.root.join("in/tables").join(format!("{name}.manifest")),
            manifest.to_string(),
        )
        .map_err(crate::Error::from)?;
        Ok((name, rows))
    }

    /// The tables the program wrote: each `out/tables/*.csv` with where it goes, from its
    /// manifest or else from the configuration's output mapping.
    pub fn outputs(&self, mapping: &[Output]) -> Result<Vec<(PathBuf, Output)>, Failure> {
        let dir = self.root.join("out/tables");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(crate::Error::from)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".csv"))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let path = dir.join(&name);
            let manifest_path = dir.join(format!("{name}.manifest"));
            let from_mapping = mapping.iter().find(|m| m.source == name);
            let output = if manifest_path.exists() {
                let text = std::fs::read_to_string(&manifest_path).map_err(crate::Error::from)?;
                let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
                    Failure::failed(format!(
                        "out/tables/{name}.manifest is not a table manifest: {e}"
                    ))
                })?;
                Output {
                    source: name.clone(),
                    destination: manifest
                        .destination
                        .or_else(|| from_mapping.map(|m| m.destination.clone()))
                        .ok_or_else(|| {
                            Failure::failed(format!(
                                "out/tables/{name}: its manifest names no destination"
                            ))
                        })?,
                    incremental: manifest
                        .incremental
                        .unwrap_or(from_mapping.is_some_and(|m| m.incremental)),
                    primary_key: manifest.primary_key.unwrap_or_else(|| {
                        from_mapping
                            .map(|m| m.primary_key.clone())
                            .unwrap_or_default()
                    }),
                }
            } else {
                let m = from_mapping.ok_or_else(|| {
                    Failure::failed(format!(
                        "out/tables/{name} has no destination: write \
                         out/tables/{name}.manifest with \"destination\", or map it in \
                         storage.output.tables"
                    ))
                })?;
                Output {
                    source: m.source.clone(),
                    destination: m.destination.clone(),
                    incremental: m.incremental,
                    primary_key: m.primary_key.clone(),
                }
            };
            out.push((path, output));
        }
        for m in mapping {
            if !out.iter().any(|(_, o)| o.source == m.source) {
                return Err(Failure::failed(format!(
                    "the output mapping expects out/tables/{}, which the component did not write",
                    m.source
                )));
            }
        }
        Ok(out)
    }

    /// `out/state.json`, if the program wrote one.
    pub fn out_state(&self) -> Result<Option<serde_json::Value>, Failure> {
        let path = self.root.join("out/state.json");
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(crate::Error::from)?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Failure::failed(format!("out/state.json is not JSON: {e}")))
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[derive(serde::Deserialize)]
struct Manifest {
    destination: Option<String>,
    incremental: Option<bool>,
    primary_key: Option<Vec<String>>,
}

/// The header of a CSV file the program wrote.
pub(crate) fn csv_header(path: &Path) -> Result<Vec<String>, Failure> {
    let file = std::fs::File::open(path).map_err(crate::Error::from)?;
    let mut reader = CsvReader::new(
        std::io::BufReader::new(file),
        Dialect {
            delimiter: b',',
            enclosure: Some(b'"'),
        },
    );
    let mut record = Record::default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !reader
        .read_record(&mut record)
        .map_err(|e| Failure::failed(format!("out/tables/{name}: {e}")))?
    {
        return Err(Failure::failed(format!(
            "out/tables/{name} is empty; it needs a header row"
        )));
    }
    Ok((0..record.len())
        .map(|i| record.get(i).to_string())
        .collect())
}
