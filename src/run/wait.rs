//! Wait steps: a pause as long as a duration the server declares in
//! /ServiceProviderConfig (RFC 9865 §4 `cursorTimeout`), bounded, and cut
//! short when the run is interrupted.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::exec::{CaseRun, Stop};
use crate::suite::WaitStep;

/// How often an ongoing pause looks at the interrupt flag.
const TICK: Duration = Duration::from_millis(100);

/// The pause a wait step makes, or why the case cannot make it.
pub fn pause(spc: Option<&Value>, step: &WaitStep) -> Result<Duration, String> {
    // A fixed pause ("1.1s"), for changes a clock must be able to tell apart.
    if let Some(fixed) = step
        .wait
        .strip_suffix('s')
        .and_then(|n| n.parse::<f64>().ok())
    {
        return if fixed <= step.at_most {
            Ok(Duration::from_secs_f64(fixed.max(0.0)))
        } else {
            Err(format!(
                "a pause of {fixed} s exceeds the case's bound of {} s",
                step.at_most
            ))
        };
    }
    let declared = spc
        .and_then(|s| s.pointer(&step.wait))
        .ok_or_else(|| format!("/ServiceProviderConfig declares no {}", step.wait))?;
    let seconds = declared
        .as_f64()
        .filter(|s| *s > 0.0)
        .ok_or_else(|| format!("{} is {declared}, not a positive number", step.wait))?;
    let pause = seconds * step.scale + step.add;
    if pause > step.at_most {
        return Err(format!(
            "{} is {seconds} s, so the case would wait {pause:.1} s, more than its bound of {} s",
            step.wait, step.at_most
        ));
    }
    Ok(Duration::from_secs_f64(pause.max(0.0)))
}

impl CaseRun<'_, '_> {
    pub(super) async fn wait_step(&mut self, n: usize, step: &WaitStep) -> Result<(), Stop> {
        let pause = pause(self.ctx.caps.spc.as_ref(), step)
            .map_err(|why| Stop::Skipped(format!("step {n} wait: {why}")))?;
        let end = Instant::now() + pause;
        while Instant::now() < end {
            if self.ctx.interrupted.load(Ordering::SeqCst) {
                return Err(Stop::Errored("interrupted during a wait".into()));
            }
            tokio::time::sleep(TICK.min(end.saturating_duration_since(Instant::now()))).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(scale: f64, add: f64, at_most: f64) -> WaitStep {
        WaitStep {
            wait: "/pagination/cursorTimeout".into(),
            scale,
            add,
            at_most,
        }
    }

    #[test]
    fn pauses_scale_the_declared_seconds_within_the_bound() {
        let spc = json!({"pagination": {"cursorTimeout": 4}});
        assert_eq!(
            pause(Some(&spc), &step(0.5, 0.0, 30.0)),
            Ok(Duration::from_secs(2))
        );
        assert_eq!(
            pause(Some(&spc), &step(1.0, 2.0, 30.0)),
            Ok(Duration::from_secs(6))
        );
        let long = pause(Some(&spc), &step(1.0, 2.0, 5.0)).unwrap_err();
        assert!(long.contains("more than its bound of 5 s"), "{long}");
    }

    #[test]
    fn nothing_declared_or_nonsense_means_no_pause() {
        assert!(pause(None, &step(1.0, 0.0, 30.0))
            .unwrap_err()
            .contains("declares no"));
        let spc = json!({"pagination": {"cursorTimeout": "soon"}});
        assert!(pause(Some(&spc), &step(1.0, 0.0, 30.0))
            .unwrap_err()
            .contains("not a positive number"));
        let spc = json!({"pagination": {"cursorTimeout": -3}});
        assert!(pause(Some(&spc), &step(1.0, 0.0, 30.0)).is_err());
    }
}
