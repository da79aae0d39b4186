//! The document model every text exporter shares: headings, sentences, lists and tables
//! whose cells are already formatted text.
//!
//! What a report says is decided once, when a view is turned into a [`Doc`]; the terminal
//! and Markdown exporters only differ in how they draw it (as hyperfine's markup exporters
//! share one table of formatted results). So a number can never read one way in a terminal
//! and another way in a pull request.

/// How a cell's text is aligned in its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    /// Numbers: right-aligned so their digits line up.
    Right,
}

/// One formatted cell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    pub text: String,
    pub align: Align,
}

impl Cell {
    /// A left-aligned cell.
    pub fn new(text: impl std::fmt::Display) -> Self {
        Cell {
            text: text.to_string(),
            align: Align::Left,
        }
    }

    /// The same cell, right-aligned.
    pub fn right(mut self) -> Self {
        self.align = Align::Right;
        self
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::new(s)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::new(s)
    }
}

impl From<&String> for Cell {
    fn from(s: &String) -> Self {
        Cell::new(s)
    }
}

/// A table: a header and rows of the same width.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableModel {
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
    /// The column that gives way first when the table is too wide for a terminal (a
    /// ticket's text); `None`: every text column may be cut, numbers never are.
    pub flex: Option<usize>,
}

impl TableModel {
    /// An empty table with this header.
    pub fn new<C: Into<Cell>>(header: impl IntoIterator<Item = C>) -> Self {
        TableModel {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            flex: None,
        }
    }

    /// Sets the header.
    pub fn set_header<C: Into<Cell>>(&mut self, header: impl IntoIterator<Item = C>) {
        self.header = header.into_iter().map(Into::into).collect();
    }

    /// Appends a row.
    pub fn add_row<C: Into<Cell>>(&mut self, row: impl IntoIterator<Item = C>) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One piece of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// The document's title (Markdown `#`); `lines` follow it as context (run id, date, ...).
    Title {
        text: String,
        lines: Vec<String>,
    },
    /// A section heading.
    Heading(String),
    /// A sentence or short paragraph.
    Text(String),
    /// A bullet list (warnings, verdicts of pairs).
    List(Vec<String>),
    Table(TableModel),
}

/// A rendered-to-be document: blocks in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Doc {
    pub blocks: Vec<Block>,
}

impl Doc {
    pub fn heading(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Heading(text.into()));
    }

    pub fn text(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Text(text.into()));
    }

    pub fn list(&mut self, items: Vec<String>) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
    }

    pub fn table(&mut self, t: TableModel) {
        self.blocks.push(Block::Table(t));
    }

    pub fn extend(&mut self, other: Doc) {
        self.blocks.extend(other.blocks);
    }
}
