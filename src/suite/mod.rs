//! The declarative suite format: model, YAML with positions, and loading.

pub mod load;
pub mod model;
pub mod yaml;

pub use load::{load_default, load_paths, Loader};
pub use model::{
    AsyncStep, BulkStep, Case, CheckStep, EventsStep, Exceed, Expect, ExpectedEvent, Fixture,
    HttpStep, Matcher, Origin, PageLimit, PatchStep, QueryStep, StatusSet, Step, WaitStep,
    WalkChange,
};
