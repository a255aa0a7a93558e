//! Building an [`Outgoing`] message: `Outgoing::text("hi").with_keyboard(kb)`.

use crate::model::{Card, Content, Keyboard, Media, Outgoing};

impl Outgoing {
    /// A message with this content, no keyboard and no mentions.
    pub fn new(content: Content) -> Self {
        Outgoing {
            content,
            keyboard: None,
            mentions: Vec::new(),
        }
    }

    /// A plain-text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(Content::Text(text.into()))
    }

    /// A markdown message; platforms without markdown get it as plain text.
    pub fn markdown(markdown: impl Into<String>) -> Self {
        Self::new(Content::Markdown(markdown.into()))
    }

    /// An HTML message, on the platforms that render HTML.
    pub fn html(html: impl Into<String>) -> Self {
        Self::new(Content::Html(html.into()))
    }

    /// A picture by URL.
    pub fn image(url: impl Into<String>) -> Self {
        Self::new(Content::Image(Media {
            url: url.into(),
            name: None,
            size: None,
        }))
    }

    /// A card: a title, a body, and optionally a link and a picture (set the fields afterwards).
    pub fn card(title: impl Into<String>, body: impl Into<String>) -> Self {
        Self::new(Content::Card(Card {
            title: title.into(),
            body: body.into(),
            url: None,
            image: None,
        }))
    }

    /// Attaches a keyboard (rows of buttons) under the message.
    #[must_use]
    pub fn with_keyboard(mut self, keyboard: Keyboard) -> Self {
        self.keyboard = Some(keyboard);
        self
    }

    /// Mentions a user by id (repeat for several).
    #[must_use]
    pub fn mention(mut self, user_id: impl Into<String>) -> Self {
        self.mentions.push(user_id.into());
        self
    }
}

impl From<&str> for Outgoing {
    fn from(text: &str) -> Self {
        Outgoing::text(text)
    }
}

impl From<String> for Outgoing {
    fn from(text: String) -> Self {
        Outgoing::text(text)
    }
}

impl From<&String> for Outgoing {
    fn from(text: &String) -> Self {
        Outgoing::text(text.as_str())
    }
}

impl From<Content> for Outgoing {
    fn from(content: Content) -> Self {
        Outgoing::new(content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Button;

    #[test]
    fn builds_text_with_keyboard_and_mentions() {
        let out = Outgoing::markdown("**hi**")
            .with_keyboard(Keyboard::new().row([Button::callback("A", "a")]))
            .mention("u1");
        assert_eq!(out.content, Content::Markdown("**hi**".into()));
        assert_eq!(out.keyboard.map(|k| k.rows.len()), Some(1));
        assert_eq!(out.mentions, vec!["u1".to_string()]);
    }

    #[test]
    fn strings_convert() {
        assert_eq!(Outgoing::from("x"), Outgoing::text("x"));
        assert_eq!(Outgoing::from(String::from("x")), Outgoing::text("x"));
    }
}
