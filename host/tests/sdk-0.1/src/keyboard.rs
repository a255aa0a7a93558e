//! Building a [`Keyboard`]: `Keyboard::new().row([Button::callback("Red", "role:red")])`.

use crate::model::{Button, ButtonAction, Keyboard};

impl Keyboard {
    /// An empty keyboard.
    pub fn new() -> Self {
        Keyboard { rows: Vec::new() }
    }

    /// Appends a row of buttons (an empty row is skipped).
    #[must_use]
    pub fn row(mut self, buttons: impl IntoIterator<Item = Button>) -> Self {
        let row: Vec<Button> = buttons.into_iter().collect();
        if !row.is_empty() {
            self.rows.push(row);
        }
        self
    }

    /// Lays `buttons` out in rows of at most `per_row` buttons (at least one per row).
    #[must_use]
    pub fn grid(mut self, buttons: impl IntoIterator<Item = Button>, per_row: usize) -> Self {
        let per_row = per_row.max(1);
        let mut row = Vec::with_capacity(per_row);
        for button in buttons {
            row.push(button);
            if row.len() == per_row {
                self.rows.push(std::mem::take(&mut row));
            }
        }
        if !row.is_empty() {
            self.rows.push(row);
        }
        self
    }

    /// True when the keyboard has no buttons.
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(Vec::is_empty)
    }
}

impl Default for Keyboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Button {
    /// A button that delivers a `callback` event with `data` when clicked.
    pub fn callback(label: impl Into<String>, data: impl Into<String>) -> Self {
        Button {
            label: label.into(),
            action: ButtonAction::Callback(data.into()),
        }
    }

    /// A button that opens `url`.
    pub fn url(label: impl Into<String>, url: impl Into<String>) -> Self {
        Button {
            label: label.into(),
            action: ButtonAction::Url(url.into()),
        }
    }

    /// A button that copies `text` to the clipboard, where the platform supports it.
    pub fn copy(label: impl Into<String>, text: impl Into<String>) -> Self {
        Button {
            label: label.into(),
            action: ButtonAction::Copy(text.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_grid() {
        let kb = Keyboard::new()
            .row([Button::url("Docs", "https://example.com")])
            .row([])
            .grid(
                (0..5).map(|i| Button::callback(i.to_string(), format!("n:{i}"))),
                2,
            );
        let sizes: Vec<usize> = kb.rows.iter().map(Vec::len).collect();
        assert_eq!(sizes, [1, 2, 2, 1]);
        assert_eq!(kb.rows[1][1].action, ButtonAction::Callback("n:1".into()));
        assert!(Keyboard::default().is_empty());
    }
}
