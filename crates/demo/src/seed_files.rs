//! Files in the project's file storage, tagged as components tag them.

use anyhow::Context;
use stackport_client::{Client, FileUpload};

/// Uploads a few files; returns how many.
pub(crate) async fn seed_files(client: &Client) -> anyhow::Result<usize> {
    let files: [(&str, &[&str], bool, Vec<u8>); 4] = [
        (
            "customers-export.csv",
            &["export", "crm"],
            true,
            b"\"id\",\"email\"\n\"1\",\"jiri.novak.1@example.com\"\n".to_vec(),
        ),
        (
            "price-list-2024.json",
            &["prices", "keboola.ex-http"],
            false,
            br#"{"currency": "EUR", "items": [{"sku": "P0001", "price": 12.5}]}"#.to_vec(),
        ),
        (
            "přehled tržeb 2024.txt",
            &["report"],
            true,
            "Přehled tržeb: 12 345 678,90 Kč\n".as_bytes().to_vec(),
        ),
        (
            "model.bin",
            &["ml", "binary"],
            false,
            (0..=255u8).cycle().take(64 * 1024).collect(),
        ),
    ];
    let count = files.len();
    for (name, tags, permanent, body) in files {
        client
            .upload_file(
                &FileUpload {
                    name: name.into(),
                    tags: tags.iter().map(|t| t.to_string()).collect(),
                    is_permanent: permanent,
                    max_age_days: (!permanent).then_some(30),
                },
                body,
            )
            .await
            .with_context(|| format!("cannot upload the file {name}"))?;
    }
    Ok(count)
}
