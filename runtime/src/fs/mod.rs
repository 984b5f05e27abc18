//! Asynchronous filesystem access: tokio's `fs` API.
//!
//! [`File`] and [`OpenOptions`] for open files, [`read_dir`] for listings, and free functions for
//! whole files and paths. Call them from inside a Zokio runtime. Every operation goes through one
//! internal module of plain async functions (`sys.rs`); today each runs on the blocking pool,
//! and an I/O driver that can do an operation natively takes it over there.
//!
//! ```
//! # zokio::runtime::Runtime::new().unwrap().block_on(async {
//! let dir = std::env::temp_dir().join(format!("zokio-doc-fs-{}", std::process::id()));
//! zokio::fs::create_dir_all(&dir).await.unwrap();
//! zokio::fs::write(dir.join("greeting"), "hello").await.unwrap();
//! zokio::fs::rename(dir.join("greeting"), dir.join("hello.txt")).await.unwrap();
//! assert_eq!(zokio::fs::read_to_string(dir.join("hello.txt")).await.unwrap(), "hello");
//! assert_eq!(zokio::fs::metadata(dir.join("hello.txt")).await.unwrap().len(), 5);
//! zokio::fs::remove_dir_all(&dir).await.unwrap();
//! # });
//! ```

mod file;
mod file_state;
mod open_options;
mod ops;
mod read_dir;
pub(crate) mod sys;
mod uring;

pub use file::File;
pub use open_options::OpenOptions;
pub use ops::{
    canonicalize, copy, create_dir, create_dir_all, hard_link, metadata, read, read_link,
    read_to_string, remove_dir, remove_dir_all, remove_file, rename, set_permissions,
    symlink_metadata, try_exists, write,
};
pub use read_dir::{read_dir, DirEntry, ReadDir};
