//! Reading variables: empty values count as unset, and every name asked
//! for is remembered so that a set but unread `AUTH_*` variable (a typo) can
//! be reported.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::values::ConfigError;
use super::values::parse_duration;

/// Lookup helpers: empty values count as unset.
/// Remembers every name it was asked for, so that an `AUTH_*` variable
/// nobody reads (a typo) can be reported.
pub struct Vars<'a> {
    vars: &'a HashMap<String, String>,
    read: RefCell<HashSet<String>>,
}

impl<'a> Vars<'a> {
    pub(super) fn new(vars: &'a HashMap<String, String>) -> Self {
        Self {
            vars,
            read: RefCell::default(),
        }
    }

    /// The value as set, empty or not.
    pub fn raw(&self, var: &str) -> Option<&'a str> {
        self.read.borrow_mut().insert(var.to_owned());
        self.vars.get(var).map(String::as_str)
    }

    pub fn get(&self, var: &str) -> Option<&'a str> {
        self.raw(var).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every name asked for so far, sorted (the configuration registry's
    /// test holds `registry::VARIABLES` to it).
    #[cfg(test)]
    pub(super) fn read_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read.borrow().iter().cloned().collect();
        names.sort();
        names
    }

    /// `AUTH_*` variables that are set but that no setting reads, sorted.
    pub(super) fn unread(&self) -> Vec<String> {
        let read = self.read.borrow();
        let mut unread: Vec<String> = self
            .vars
            .keys()
            .filter(|k| k.starts_with("AUTH_") && !read.contains(k.as_str()))
            .cloned()
            .collect();
        unread.sort();
        unread
    }

    pub fn text(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or(default).to_owned()
    }

    pub fn list(&self, var: &str) -> Vec<String> {
        self.get(var)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn parse<T>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e| ConfigError::new(var, format!("cannot use {raw:?}: {e}"))),
        }
    }

    /// A duration of at least 1 second: plain seconds (`900`) or a human
    /// duration (`15m`, `1h30m`, `30d`).
    pub fn seconds(&self, var: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let value = self.seconds_or_zero(var, default)?;
        if value.is_zero() {
            return Err(ConfigError::new(var, "must be at least 1 second"));
        }
        Ok(value)
    }

    /// A duration that may be zero, in the forms [`Self::seconds`] reads.
    pub fn seconds_or_zero(
        &self,
        var: &'static str,
        default: u64,
    ) -> Result<Duration, ConfigError> {
        match self.get(var) {
            None => Ok(Duration::from_secs(default)),
            Some(raw) => parse_duration(raw).map_err(|e| ConfigError::new(var, e)),
        }
    }

    /// One of a fixed set of words, case-insensitively; the error lists them.
    pub fn choice<T: Copy>(
        &self,
        var: &'static str,
        default: &str,
        choices: &[(&str, T)],
    ) -> Result<T, ConfigError> {
        let raw = self.text(var, default);
        choices
            .iter()
            .find(|(word, _)| word.eq_ignore_ascii_case(&raw))
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let words: Vec<&str> = choices.iter().map(|(word, _)| *word).collect();
                ConfigError::new(
                    var,
                    format!("unknown value {raw:?}; use {}", words.join(" or ")),
                )
            })
    }

    /// A number that must lie in `range`.
    pub fn within<T>(
        &self,
        var: &'static str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
        T::Err: fmt::Display,
    {
        let value = self.parse(var, default)?;
        if !range.contains(&value) {
            return Err(ConfigError::new(
                var,
                format!("must be between {} and {}", range.start(), range.end()),
            ));
        }
        Ok(value)
    }

    /// A count that must be at least 1.
    pub fn positive<T>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Default + Copy,
        T::Err: fmt::Display,
    {
        let value = self.parse(var, default)?;
        if value <= T::default() {
            return Err(ConfigError::new(var, "must be at least 1"));
        }
        Ok(value)
    }
}
