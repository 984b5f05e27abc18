//! [`Interest`] and [`Ready`]: what a task waits for on a socket, and what it found.

use crate::io::driver::poll as bits;
use std::fmt;
use std::ops;

/// What to wait for on a socket (`ready`, `try_io`, `async_io`): reading, writing or either.
///
/// ```
/// use zokio::io::Interest;
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

impl Interest {
    /// The socket may be read (or its read side closed, or an error is pending).
    pub const READABLE: Interest = Interest(1);
    /// The socket may be written (or its write side closed, or an error is pending).
    pub const WRITABLE: Interest = Interest(2);

    /// Whether reading is of interest.
    pub const fn is_readable(self) -> bool {
        self.0 & Interest::READABLE.0 != 0
    }

    /// Whether writing is of interest.
    pub const fn is_writable(self) -> bool {
        self.0 & Interest::WRITABLE.0 != 0
    }

    /// Both interests (the same as `self | other`).
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// `self` without `other`; `None` if nothing is left.
    pub const fn remove(self, other: Interest) -> Option<Interest> {
        match self.0 & !other.0 {
            0 => None,
            left => Some(Interest(left)),
        }
    }

    /// The driver's directions this interest covers.
    pub(crate) fn directions(self) -> impl Iterator<Item = crate::io::driver::Direction> {
        use crate::io::driver::Direction;
        [
            self.is_readable().then_some(Direction::Read),
            self.is_writable().then_some(Direction::Write),
        ]
        .into_iter()
        .flatten()
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            _ => f.write_str("WRITABLE"),
        }
    }
}

/// What a socket was found ready for (the answer of `ready`).
///
/// ```
/// use zokio::io::Ready;
/// let r = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(r.is_readable() && r.is_read_closed() && !r.is_writable());
/// assert!(Ready::EMPTY.is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ready(u8);

impl Ready {
    /// Nothing.
    pub const EMPTY: Ready = Ready(0);
    /// A read may make progress.
    pub const READABLE: Ready = Ready(bits::READABLE as u8);
    /// A write may make progress.
    pub const WRITABLE: Ready = Ready(bits::WRITABLE as u8);
    /// The peer closed its write side (a read returns end of stream once the buffered bytes
    /// are read).
    pub const READ_CLOSED: Ready = Ready(bits::READ_CLOSED as u8);
    /// The write side is closed (the peer went away).
    pub const WRITE_CLOSED: Ready = Ready(bits::WRITE_CLOSED as u8);
    /// An error is pending on the socket (`take_error` fetches it).
    pub const ERROR: Ready = Ready(bits::ERROR as u8);
    /// Every kind of readiness.
    pub const ALL: Ready = Ready(bits::ALL as u8);

    /// The readiness of the driver's bits, as far as `interest` concerns them.
    pub(crate) fn from_bits(bits: usize, interest: Interest) -> Ready {
        let mask = interest.directions().fold(0, |m, d| m | d.mask());
        Ready((bits & mask) as u8)
    }

    /// Whether nothing is ready.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether a read may make progress.
    pub const fn is_readable(self) -> bool {
        self.0 & Ready::READABLE.0 != 0
    }

    /// Whether a write may make progress.
    pub const fn is_writable(self) -> bool {
        self.0 & Ready::WRITABLE.0 != 0
    }

    /// Whether the read side is closed.
    pub const fn is_read_closed(self) -> bool {
        self.0 & Ready::READ_CLOSED.0 != 0
    }

    /// Whether the write side is closed.
    pub const fn is_write_closed(self) -> bool {
        self.0 & Ready::WRITE_CLOSED.0 != 0
    }

    /// Whether an error is pending.
    pub const fn is_error(self) -> bool {
        self.0 & Ready::ERROR.0 != 0
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Ready::READABLE, "READABLE"),
            (Ready::WRITABLE, "WRITABLE"),
            (Ready::READ_CLOSED, "READ_CLOSED"),
            (Ready::WRITE_CLOSED, "WRITE_CLOSED"),
            (Ready::ERROR, "ERROR"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(r, _)| self.0 & r.0 != 0)
            .map(|(_, n)| *n)
            .collect();
        match set.is_empty() {
            true => f.write_str("EMPTY"),
            false => f.write_str(&set.join(" | ")),
        }
    }
}
