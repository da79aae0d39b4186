//! The built-in offline classifier as seen by the config: which settings a local variant
//! may choose. Training and prediction are in `runner::local` over `classifier`.

use crate::classifier::FeatureSpec;

/// The models a local variant may choose.
pub const MODELS: &[&str] = &["logistic", "svm"];

/// Checks a feature name such as `word_1_2` or `char_wb_2_5`.
pub fn check_feature(name: &str) -> Result<(), String> {
    name.parse::<FeatureSpec>().map(|_| ())
}
