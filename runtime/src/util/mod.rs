//! Small internal helpers.

pub(crate) mod rand;
