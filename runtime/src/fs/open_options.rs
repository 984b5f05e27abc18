//! [`OpenOptions`]: how a file is opened.

use super::{sys, File};
use std::io;
use std::path::Path;

/// Options for opening a file, the async twin of [`std::fs::OpenOptions`].
///
/// Every option starts off (`false`); on Unix new files get mode `0o666` (before the umask).
///
/// ```
/// # zokio::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("zokio-doc-open-{}", std::process::id()));
/// let file = zokio::fs::OpenOptions::new().write(true).create_new(true).open(&path).await;
/// assert!(file.is_ok());
/// let again = zokio::fs::OpenOptions::new().write(true).create_new(true).open(&path).await;
/// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
/// zokio::fs::remove_file(&path).await.unwrap();
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    #[cfg(unix)]
    mode: u32,
    #[cfg(unix)]
    custom_flags: i32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// A blank set of options: nothing is allowed yet.
    pub fn new() -> OpenOptions {
        OpenOptions {
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            #[cfg(unix)]
            mode: 0o666,
            #[cfg(unix)]
            custom_flags: 0,
        }
    }

    /// Opens for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.read = read;
        self
    }

    /// Opens for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.write = write;
        self
    }

    /// Opens for appending: every write goes to the end of the file. Implies write access.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.append = append;
        self
    }

    /// Truncates an existing file to length 0 (needs write access).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.truncate = truncate;
        self
    }

    /// Creates the file if it does not exist (needs write or append access).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.create = create;
        self
    }

    /// Creates the file, failing with [`io::ErrorKind::AlreadyExists`] if it exists (atomically).
    /// `create` and `truncate` are then ignored.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.create_new = create_new;
        self
    }

    /// The permission bits a new file gets (before the umask).
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        self.mode = mode;
        self
    }

    /// Extra `open(2)` flags (`libc::O_*`), or-ed with those the options above imply.
    #[cfg(unix)]
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        self.custom_flags = flags;
        self
    }

    /// Opens the file at `path` with these options.
    ///
    /// # Errors
    /// The operating system's: [`io::ErrorKind::NotFound`] for a missing file without `create`,
    /// [`io::ErrorKind::AlreadyExists`] with `create_new`, [`io::ErrorKind::PermissionDenied`],
    /// and [`io::ErrorKind::InvalidInput`] for a contradictory set of options.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let std = sys::open(path.as_ref().to_owned(), self.clone()).await?;
        Ok(File::from_std_at(std, 0))
    }

    /// The equivalent [`std::fs::OpenOptions`].
    pub(crate) fn to_std(&self) -> std::fs::OpenOptions {
        let mut opts = std::fs::OpenOptions::new();
        opts.read(self.read)
            .write(self.write)
            .append(self.append)
            .truncate(self.truncate)
            .create(self.create)
            .create_new(self.create_new);
        self.add_unix(&mut opts);
        opts
    }

    /// The `open(2)` flags and mode, or `None` for a combination std rejects (the blocking
    /// path then reports std's error).
    #[cfg(unix)]
    pub(crate) fn open_flags(&self) -> Option<(i32, u32)> {
        let access = match (self.read, self.write || self.append) {
            (true, false) => libc::O_RDONLY,
            (false, true) => libc::O_WRONLY,
            (true, true) => libc::O_RDWR,
            (false, false) => return None,
        };
        let writes = self.write || self.append;
        if !writes && (self.truncate || self.create || self.create_new) {
            return None;
        }
        if self.append && self.truncate && !self.create_new {
            return None;
        }
        let creation = match (self.create, self.truncate, self.create_new) {
            (_, _, true) => libc::O_CREAT | libc::O_EXCL,
            (true, true, false) => libc::O_CREAT | libc::O_TRUNC,
            (true, false, false) => libc::O_CREAT,
            (false, true, false) => libc::O_TRUNC,
            (false, false, false) => 0,
        };
        let append = if self.append { libc::O_APPEND } else { 0 };
        let custom = self.custom_flags & !libc::O_ACCMODE;
        Some((
            access | creation | append | custom | libc::O_CLOEXEC,
            self.mode,
        ))
    }

    #[cfg(unix)]
    fn add_unix(&self, opts: &mut std::fs::OpenOptions) {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(self.mode).custom_flags(self.custom_flags);
    }

    #[cfg(not(unix))]
    fn add_unix(&self, _opts: &mut std::fs::OpenOptions) {}
}
