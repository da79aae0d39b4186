//! A plotters drawing backend that writes SVG elements into a string and tags data marks
//! with the numbers they show.
//!
//! plotters lays a chart out (coordinates, axes, ticks, labels, series); this backend turns
//! its drawing calls into SVG. plotters' own `SVGBackend` cannot put attributes on an
//! element, and the report's tests check every mark against run.json through its
//! `data-count` / `data-value` attributes, so the chart code announces a mark with
//! [`Marks::next`] just before drawing it and the next shape drawn carries its class, its
//! data attributes and a `<title>` tooltip. Text is written as `<text>` elements (the browser
//! lays it out), so no font file or fontconfig is needed; every string is XML-escaped.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};

/// Escapes text for an XML text node or a quoted attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A data mark about to be drawn: its CSS class, `data-*` attributes and tooltip.
#[derive(Debug, Clone, Default)]
pub struct Mark {
    pub class: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub title: String,
}

impl Mark {
    /// A mark of a class.
    pub fn new(class: &'static str) -> Self {
        Mark {
            class,
            ..Mark::default()
        }
    }

    /// Adds a `data-<name>` attribute (`name` without the prefix).
    pub fn attr(mut self, name: &'static str, value: impl ToString) -> Self {
        self.attrs.push((name, value.to_string()));
        self
    }

    /// The tooltip.
    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.title = t.into();
        self
    }
}

#[derive(Debug, Default)]
struct Inner {
    out: String,
    next: Option<Mark>,
}

/// The handle the chart code keeps to tag the next shape drawn.
#[derive(Debug, Clone, Default)]
pub struct Marks(Rc<RefCell<Inner>>);

impl Marks {
    /// The next shape drawn (one rectangle, circle, path or polygon) is this mark.
    pub fn next(&self, mark: Mark) {
        self.0.borrow_mut().next = Some(mark);
    }

    /// Writes raw SVG (already escaped) into the drawing, e.g. a `<g>` opening tag.
    pub fn raw(&self, svg: &str) {
        self.0.borrow_mut().out.push_str(svg);
    }
}

/// The backend: a fixed-size canvas whose elements accumulate in a string.
pub struct SvgCanvas {
    size: (u32, u32),
    marks: Marks,
}

impl SvgCanvas {
    /// A canvas of `w` x `h` user units and the handle to tag marks on it.
    pub fn new(w: u32, h: u32) -> (Self, Marks) {
        let marks = Marks::default();
        (
            SvgCanvas {
                size: (w, h),
                marks: marks.clone(),
            },
            marks,
        )
    }

    /// Appends an element, with the pending mark's class, data and tooltip if there is one.
    fn element(&self, name: &str, geometry: &str, paint: &str) {
        let mut inner = self.marks.0.borrow_mut();
        match inner.next.take() {
            None => {
                let _ = write!(inner.out, "<{name} {geometry} {paint}/>");
            }
            Some(m) => {
                let mut attrs = format!(" class=\"{}\"", escape(m.class));
                for (k, v) in &m.attrs {
                    let _ = write!(attrs, " data-{k}=\"{}\"", escape(v));
                }
                let _ = write!(inner.out, "<{name} {geometry} {paint}{attrs}>");
                if !m.title.is_empty() {
                    let _ = write!(inner.out, "<title>{}</title>", escape(&m.title));
                }
                let _ = write!(inner.out, "</{name}>");
            }
        }
    }

    /// The finished `<svg>` element (scales to its container, keeps its aspect ratio).
    pub fn finish(marks: &Marks, (w, h): (u32, u32), label: &str) -> String {
        let body = std::mem::take(&mut marks.0.borrow_mut().out);
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{label}\" class=\"chart\"><title>{label}</title>{body}</svg>",
            label = escape(label)
        )
    }
}

fn color(c: BackendColor) -> String {
    let (r, g, b) = c.rgb;
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn fill(c: BackendColor) -> String {
    if c.alpha >= 1.0 {
        format!("fill=\"{}\"", color(c))
    } else {
        format!("fill=\"{}\" fill-opacity=\"{:.3}\"", color(c), c.alpha)
    }
}

fn stroke<S: BackendStyle>(s: &S) -> String {
    let c = s.color();
    let mut out = format!(
        "fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"",
        color(c),
        s.stroke_width()
    );
    if c.alpha < 1.0 {
        let _ = write!(out, " stroke-opacity=\"{:.3}\"", c.alpha);
    }
    out
}

fn points(path: impl IntoIterator<Item = BackendCoord>) -> String {
    let mut out = String::new();
    for (x, y) in path {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{x},{y}");
    }
    out
}

/// The backend never fails: it writes into a string.
#[derive(Debug)]
pub struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unreachable")
    }
}

impl std::error::Error for Never {}

impl DrawingBackend for SvgCanvas {
    type ErrorType = Never;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Never>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Never>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        (x, y): BackendCoord,
        c: BackendColor,
    ) -> Result<(), DrawingErrorKind<Never>> {
        if c.alpha > 0.0 {
            self.element(
                "rect",
                &format!("x=\"{x}\" y=\"{y}\" width=\"1\" height=\"1\""),
                &fill(c),
            );
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        (x1, y1): BackendCoord,
        (x2, y2): BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Never>> {
        if style.color().alpha > 0.0 {
            self.element(
                "line",
                &format!("x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\""),
                &stroke(style),
            );
        }
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        (x1, y1): BackendCoord,
        (x2, y2): BackendCoord,
        style: &S,
        filled: bool,
    ) -> Result<(), DrawingErrorKind<Never>> {
        let (x, y) = (x1.min(x2), y1.min(y2));
        let (w, h) = ((x2 - x1).abs(), (y2 - y1).abs());
        let paint = if filled {
            fill(style.color())
        } else {
            stroke(style)
        };
        self.element(
            "rect",
            &format!("x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\""),
            &paint,
        );
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Never>> {
        self.element(
            "polyline",
            &format!("points=\"{}\"", points(path)),
            &format!("{} stroke-linejoin=\"round\"", stroke(style)),
        );
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        (x, y): BackendCoord,
        r: u32,
        style: &S,
        filled: bool,
    ) -> Result<(), DrawingErrorKind<Never>> {
        let paint = if filled {
            fill(style.color())
        } else {
            stroke(style)
        };
        self.element(
            "circle",
            &format!("cx=\"{x}\" cy=\"{y}\" r=\"{r}\""),
            &paint,
        );
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Never>> {
        self.element(
            "polygon",
            &format!("points=\"{}\"", points(vert)),
            &fill(style.color()),
        );
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        (x, y): BackendCoord,
    ) -> Result<(), DrawingErrorKind<Never>> {
        let anchor = match style.anchor().h_pos {
            HPos::Left => "start",
            HPos::Center => "middle",
            HPos::Right => "end",
        };
        let baseline = match style.anchor().v_pos {
            VPos::Top => "hanging",
            VPos::Center => "central",
            VPos::Bottom => "auto",
        };
        let rotate = match style.transform() {
            FontTransform::Rotate90 => format!(" transform=\"rotate(90 {x} {y})\""),
            FontTransform::Rotate180 => format!(" transform=\"rotate(180 {x} {y})\""),
            FontTransform::Rotate270 => format!(" transform=\"rotate(270 {x} {y})\""),
            FontTransform::None => String::new(),
        };
        let mut inner = self.marks.0.borrow_mut();
        let _ = write!(
            inner.out,
            "<text x=\"{x}\" y=\"{y}\" font-size=\"{:.0}\" text-anchor=\"{anchor}\" dominant-baseline=\"{baseline}\" {}{rotate}>{}</text>",
            style.size(),
            fill(style.color()),
            escape(text)
        );
        Ok(())
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Never>> {
        // A sans-serif glyph is about 0.55 em wide on average; the browser lays text out.
        let size = style.size();
        Ok((
            (size * 0.55 * text.chars().count() as f64).ceil() as u32,
            size.ceil() as u32,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    #[test]
    fn marks_carry_data_and_text_is_escaped() {
        let (canvas, marks) = SvgCanvas::new(100, 50);
        let root = canvas.into_drawing_area();
        marks.next(Mark::new("bar").attr("count", 7).title("<b>\"x\""));
        root.draw(&Rectangle::new([(1, 2), (11, 22)], BLUE.filled()))
            .unwrap();
        root.draw(&Text::new("a<b&c", (5, 5), ("sans-serif", 10)))
            .unwrap();
        drop(root);
        let svg = SvgCanvas::finish(&marks, (100, 50), "t");
        assert!(svg.contains(r#"class="bar" data-count="7""#), "{svg}");
        assert!(
            svg.contains("<title>&lt;b&gt;&quot;x&quot;</title>"),
            "{svg}"
        );
        assert!(svg.contains(">a&lt;b&amp;c</text>"), "{svg}");
        assert!(!svg.contains("<b>"));
    }
}
