//! One run's receiving of events: the inbox and whichever of the push
//! receiver and the poller feeds it, stopped together at the end.

use std::sync::Arc;

use super::{poll, receiver, Delivery, Inbox};

/// The receiver or poller of a run.
pub struct Session {
    pub inbox: Arc<Inbox>,
    pub delivery: Delivery,
    receiver: Option<receiver::Receiver>,
    poller: Option<poll::Poller>,
}

impl Session {
    pub fn new(
        inbox: Arc<Inbox>,
        delivery: Delivery,
        receiver: Option<receiver::Receiver>,
        poller: Option<poll::Poller>,
    ) -> Session {
        Session {
            inbox,
            delivery,
            receiver,
            poller,
        }
    }

    /// Stops receiving; returns a line saying what was received.
    pub async fn stop(self) -> String {
        if let Some(p) = self.poller {
            p.stop().await;
        }
        if let Some(r) = self.receiver {
            r.stop().await;
        }
        let received = self.inbox.received();
        let invalid = received.iter().filter(|r| !r.problems.is_empty()).count();
        let delivery = self.inbox.delivery_problems();
        let mut line = format!(
            "events: {} SETs received by {} ({} with problems, {} retransmissions)",
            received.len(),
            match self.delivery {
                Delivery::Push => "push",
                Delivery::Poll => "poll",
            },
            invalid,
            self.inbox.repeats()
        );
        for p in delivery {
            line.push_str(&format!("\n  delivery: {p}"));
        }
        line
    }
}
