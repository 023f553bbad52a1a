//! Receiving SCIM events during a run (RFC 9967): a push endpoint that a
//! transmitter POSTs SETs to (RFC 8935, [`receiver`]), or a client that
//! polls a transmitter (RFC 8936, [`poll`]). Either feeds one [`Inbox`],
//! which validates every SET with the model of [`crate::scim::set`] and
//! lets cases wait for the events their operations must cause.

pub mod inbox;
pub mod poll;
pub mod receiver;
pub mod send;
mod session;
pub mod tls;

pub use inbox::{Inbox, Problem, Received, Via};
pub use session::Session;

use crate::scim::set::{Expectations, KeySet, Unsigned};

/// How SETs are delivered to the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Delivery {
    /// The transmitter POSTs SETs to scimitar's receiver (RFC 8935).
    Push,
    /// scimitar polls the transmitter's endpoint (RFC 8936).
    Poll,
}

/// What a SET must satisfy to be accepted: the keys its signature is
/// checked with, whether unsigned tokens pass, and the issuer and audience.
pub struct Trust {
    pub keys: KeySet,
    pub unsigned: Unsigned,
    pub expect: Expectations,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("keys", &self.keys.keys().len())
            .field("unsigned", &self.unsigned)
            .field("expect", &self.expect)
            .finish()
    }
}
