//! A plugin's schedules as the daemon runs them: what its `describe` declares, overridden by
//! name (or added to) by the operator's `[[plugins.schedules]]`, each expression and time zone
//! checked. A bad one fails the load with the plugin, the schedule and the expression named.

use crate::config::ScheduleConfig;
use crate::runtime::Schedule as Declared;
use crate::timer::{Cron, Schedule};

/// Most schedules one plugin may have.
pub const MAX_SCHEDULES: usize = 64;

/// The schedules to run: `declared` with `overrides` applied. The error names each bad entry
/// and where it comes from.
pub fn plan(declared: &[Declared], overrides: &[ScheduleConfig]) -> Result<Vec<Schedule>, String> {
    let mut merged: Vec<(Entry, &'static str)> = Vec::new();
    for d in declared {
        let entry = Entry {
            name: d.name.clone(),
            cron: Some(d.cron.clone()),
            timezone: d.timezone.clone(),
            payload: d.payload.clone(),
        };
        match merged.iter_mut().find(|(e, _)| e.name == d.name) {
            Some(_) => return Err(format!("declares schedule `{}` twice", d.name)),
            None => merged.push((entry, "declared by the plugin")),
        }
    }
    for o in overrides {
        let index = merged.iter().position(|(e, _)| e.name == o.name);
        if !o.enabled {
            if let Some(index) = index {
                merged.remove(index);
            }
            continue;
        }
        match index {
            Some(index) => {
                let (entry, from) = &mut merged[index];
                entry.apply(o);
                *from = "as overridden in the config";
            }
            None => {
                let mut entry = Entry {
                    name: o.name.clone(),
                    ..Entry::default()
                };
                entry.apply(o);
                merged.push((entry, "from the config"));
            }
        }
    }
    if merged.len() > MAX_SCHEDULES {
        return Err(format!(
            "has {} schedules; at most {MAX_SCHEDULES} are allowed",
            merged.len()
        ));
    }
    let mut problems = Vec::new();
    let mut plan = Vec::with_capacity(merged.len());
    for (entry, from) in merged {
        match entry.check() {
            Ok(schedule) => plan.push(schedule),
            Err(why) => problems.push(format!("schedule `{}` ({from}): {why}", entry.name)),
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems.join("; "))
    }
}

#[derive(Debug, Default)]
struct Entry {
    name: String,
    cron: Option<String>,
    timezone: String,
    payload: String,
}

impl Entry {
    fn apply(&mut self, o: &ScheduleConfig) {
        if let Some(cron) = &o.cron {
            self.cron = Some(cron.clone());
        }
        if let Some(timezone) = &o.timezone {
            self.timezone = timezone.clone();
        }
        if let Some(payload) = &o.payload {
            self.payload = payload.clone();
        }
    }

    fn check(&self) -> Result<Schedule, String> {
        if self.name.is_empty() || self.name.len() > 256 || self.name.chars().any(char::is_control)
        {
            return Err("a name must be 1 to 256 bytes without control characters".into());
        }
        let Some(cron) = &self.cron else {
            return Err(
                "no `cron` expression (a schedule the plugin does not declare needs one)".into(),
            );
        };
        let cron = Cron::parse(cron, &self.timezone).map_err(|e| e.to_string())?;
        Ok(Schedule {
            name: self.name.clone(),
            cron,
            payload: self.payload.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(name: &str, cron: &str) -> Declared {
        Declared {
            name: name.into(),
            cron: cron.into(),
            timezone: String::new(),
            payload: "p".into(),
        }
    }

    fn operator(name: &str, edit: impl FnOnce(&mut ScheduleConfig)) -> ScheduleConfig {
        let mut o = ScheduleConfig {
            name: name.into(),
            cron: None,
            timezone: None,
            payload: None,
            enabled: true,
        };
        edit(&mut o);
        o
    }

    #[test]
    fn the_operator_overrides_by_name_adds_and_turns_off() {
        let plan = plan(
            &[
                declared("daily", "0 0 9 * * *"),
                declared("weekly", "0 0 9 * * Mon"),
            ],
            &[
                operator("daily", |o| o.timezone = Some("Asia/Shanghai".into())),
                operator("weekly", |o| o.enabled = false),
                operator("extra", |o| o.cron = Some("0 */5 * * * *".into())),
            ],
        )
        .unwrap();
        let names: Vec<&str> = plan.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["daily", "extra"]);
        assert_eq!(plan[0].cron.timezone(), "Asia/Shanghai");
        assert_eq!(plan[0].cron.expression(), "0 0 9 * * *");
        assert_eq!(plan[0].payload, "p");
        assert_eq!(plan[1].payload, "");
    }

    #[test]
    fn a_bad_expression_is_named_with_where_it_comes_from() {
        let error = plan(&[declared("daily", "0 9 * * *")], &[]).unwrap_err();
        assert!(
            error.contains("schedule `daily` (declared by the plugin)"),
            "{error}"
        );
        assert!(error.contains("`0 9 * * *`"), "{error}");
        let error = plan(
            &[declared("daily", "0 0 9 * * *")],
            &[operator("daily", |o| {
                o.timezone = Some("Nowhere/Land".into())
            })],
        )
        .unwrap_err();
        assert!(error.contains("as overridden in the config"), "{error}");
        assert!(error.contains("Nowhere/Land"), "{error}");
        let error = plan(&[], &[operator("new", |_| {})]).unwrap_err();
        assert!(error.contains("no `cron`"), "{error}");
    }
}
