//! Issue #14 item 10: a SQLite `DATABASE_URL` creates at most the
//! database's own folder (mode 0700); a missing folder above it is a
//! one-line configuration error naming `DATABASE_URL`, exit 2, and nothing
//! is created.

use std::os::unix::fs::PermissionsExt;

use crate::cli::authd;

#[actix_web::test]
async fn a_missing_folder_above_the_database_folder_is_a_config_error_and_nothing_is_created() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("nonexistent");
    let url = format!("sqlite://{}", missing.join("dir/authd.db").display());
    for command in ["migrate", "serve"] {
        let (code, _, stderr) = authd(
            &[("DATABASE_URL", &url), ("AUTH_BIND", "127.0.0.1:0")],
            &[command],
            None,
        );
        assert_eq!(code, 2, "{command}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{command}: {stderr}");
        assert!(stderr.contains("DATABASE_URL"), "{stderr}");
        assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
        assert!(!missing.exists(), "{command} created {}", missing.display());
    }
}

#[actix_web::test]
async fn the_database_folder_itself_is_created_private() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("data");
    let url = format!("sqlite://{}", folder.join("authd.db").display());
    let (code, _, stderr) = authd(&[("DATABASE_URL", &url)], &["migrate"], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(folder.join("authd.db").is_file());
    let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{mode:o}");
    // An existing folder is used as it is, whatever its mode.
    let shared = root.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o750)).unwrap();
    let url = format!("sqlite://{}", shared.join("authd.db").display());
    let (code, _, stderr) = authd(&[("DATABASE_URL", &url)], &["migrate"], None);
    assert_eq!(code, 0, "{stderr}");
    let mode = std::fs::metadata(&shared).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o750, "{mode:o}");
}
