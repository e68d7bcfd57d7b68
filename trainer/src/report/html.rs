//! The page around the sections: one self-contained HTML document with its
//! stylesheet (screen and print) and the small brushing script of the
//! parallel-coordinates plot. Nothing is fetched when the page is viewed.

use super::svg::esc;
use std::fmt::Write;

pub struct Section {
    /// Anchor id, also what the browser test looks for.
    pub id: String,
    /// The course question it answers, e.g. `Q5`.
    pub question: &'static str,
    pub title: String,
    pub body: String,
}

/// An HTML table; `rows` hold ready-made (escaped) cell HTML.
pub fn table(headers: &[&str], rows: &[Vec<String>], class: &str) -> String {
    let mut s = format!("<div class=\"table-wrap\"><table class=\"{class}\"><thead><tr>");
    for h in headers {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for row in rows {
        s.push_str("<tr>");
        for cell in row {
            let _ = write!(s, "<td>{cell}</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

/// A horizontal bar in a table cell for a value in [-1, 1] (signed) or [0, 1].
pub fn cell_bar(value: Option<f64>, signed: bool, text: &str) -> String {
    let Some(v) = value.filter(|v| v.is_finite()) else { return "<span class=\"na\">–</span>".to_string() };
    let (left, width, class) = if signed {
        let w = v.abs().min(1.0) * 50.0;
        (if v < 0.0 { 50.0 - w } else { 50.0 }, w, if v < 0.0 { "neg" } else { "pos" })
    } else {
        (0.0, v.clamp(0.0, 1.0) * 100.0, "pos")
    };
    format!(
        "<span class=\"cellbar{}\"><span class=\"fill {class}\" style=\"left:{left:.1}%;width:{width:.1}%\"></span><span class=\"v\">{}</span></span>",
        if signed { " signed" } else { "" },
        esc(text)
    )
}

pub fn page(title: &str, header: &str, sections: &[Section]) -> String {
    let mut s = String::with_capacity(1 << 20);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
        esc(title)
    );
    let _ = write!(s, "<header><h1>{}</h1>{header}<nav><ol>", esc(title));
    for sec in sections {
        let _ = write!(s, "<li><a href=\"#{}\">{} {}</a></li>", sec.id, sec.question, esc(&sec.title));
    }
    s.push_str("</ol></nav></header><main>");
    for sec in sections {
        let _ = write!(
            s,
            "<section id=\"{}\" data-question=\"{}\"><h2><span class=\"q\">{}</span> {}</h2>{}</section>",
            sec.id,
            sec.question,
            sec.question,
            esc(&sec.title),
            sec.body
        );
    }
    let _ = writeln!(s, "</main><script>{SCRIPT}</script></body></html>");
    s
}

const CSS: &str = r#"
:root{--ink:#1b1b1f;--muted:#5f6368;--rule:#dadce0;--accent:#0072B2;--bg:#fff}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
header,main{max-width:1100px;margin:0 auto;padding:0 24px}
header{padding-top:24px;border-bottom:1px solid var(--rule)}
h1{font-size:28px;margin:0 0 6px}
h2{font-size:22px;margin:36px 0 10px;padding-top:10px;border-top:2px solid var(--ink)}
h3{font-size:17px;margin:22px 0 8px}
h2 .q{display:inline-block;min-width:44px;color:#fff;background:var(--ink);border-radius:4px;padding:0 8px;margin-right:6px;font-size:18px;text-align:center}
.meta{color:var(--muted);font-size:13px}
.meta code,code{font:13px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;background:#f3f4f6;padding:1px 4px;border-radius:3px;word-break:break-all}
nav ol{columns:2;margin:10px 0 18px;padding-left:20px;font-size:14px}
nav a{color:var(--accent);text-decoration:none}
.lead{font-size:16px}
.big{font-size:32px;font-weight:650;margin-right:18px}
.empty{color:var(--muted);font-style:italic;border-left:3px solid var(--rule);padding-left:10px}
.figure{overflow-x:auto;margin:8px 0 4px}
.caption-text{color:var(--muted);font-size:13px;margin:2px 0 14px}
svg.chart{max-width:100%;height:auto;font-family:inherit}
.figure.wide{width:min(1300px,calc(100vw - 48px));margin-left:calc(50% - min(650px,calc(50vw - 24px)))}
svg .grid{stroke:#eceef1}
svg .axis,svg .tickmark{stroke:#80868b}
svg .tick,svg .pc-tick{font-size:11px;fill:#3c4043}
svg .pc-tick{paint-order:stroke;stroke:#fff;stroke-width:3px}
svg .title,svg .axis-name{font-size:12px;fill:#3c4043;font-weight:600}
svg .chart-title{font-size:13px;font-weight:650}
svg .legend,svg .caption{font-size:12px;fill:#3c4043}
svg .annot{font-size:12px;font-weight:650;fill:#b3261e;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg .dot{stroke:#fff;stroke-width:.8}
svg .best{fill:none;stroke:#b3261e;stroke-width:2.5}
svg .running-best{fill:none;stroke:#b3261e;stroke-width:1.5;stroke-dasharray:3 3;opacity:.7}
svg .curve{fill:none;stroke-width:2}
svg .pc{fill:none;stroke-width:1.6;opacity:.8}
svg .pc.dim{stroke:#d0d3d8;opacity:.35}
svg .pc:hover{stroke-width:3.5;opacity:1}
svg .pc-axis{stroke:#3c4043;stroke-width:1.2}
svg .brush{fill:transparent;cursor:ns-resize}
svg .sel{fill:rgba(0,114,178,.18);stroke:var(--accent)}
svg .cm-label{font-size:12px;fill:#202124}
svg .cm-count{font-size:12px;font-weight:600}
svg .cm-share{font-size:9.5px}
svg .cm-margin{font-size:11px;fill:#3c4043}
svg .cm-margin-title{font-size:11px;fill:#5f6368;font-style:italic}
svg .cm-cell{stroke:#fff;stroke-width:1}
svg .box{fill:rgba(0,0,0,.04);stroke-width:1.5}
svg .median{stroke-width:3}
svg .whisker{stroke:#80868b}
svg image.px{image-rendering:pixelated}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;margin:8px 0 14px;font-size:13.5px}
th,td{border-bottom:1px solid var(--rule);padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f6f7f9;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.cellbar{position:relative;display:inline-block;width:150px;height:18px;background:#f1f3f4;border-radius:2px;vertical-align:middle}
.cellbar .fill{position:absolute;top:0;bottom:0}
.cellbar .fill.pos{background:#8ec5e8}
.cellbar .fill.neg{background:#f4a582}
.cellbar.signed::after{content:"";position:absolute;left:50%;top:0;bottom:0;border-left:1px solid #80868b}
.cellbar .v{position:relative;padding:0 6px;font-size:12px;font-variant-numeric:tabular-nums}
.na{color:var(--muted)}
ul.obs li{margin:4px 0}
.rec{background:#f6f9fc;border:1px solid #cfe3f3;border-radius:6px;padding:10px 16px;margin:12px 0}
.pairs{display:flex;flex-wrap:wrap;gap:14px}
.pair{border:1px solid var(--rule);border-radius:6px;padding:6px 10px}
.pair h4{margin:2px 0 4px;font-size:13px}
.brush-info{font-size:13px;color:var(--muted)}
.curves{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px}
@media (max-width:800px){.curves{grid-template-columns:1fr}nav ol{columns:1}}
@media print{
  body{font-size:11pt}
  header,main{max-width:none;padding:0}
  nav,.brush-info{display:none}
  h2{break-before:page;border-top:none}
  section:first-of-type h2{break-before:auto}
  .figure,table,.pair,svg{break-inside:avoid}
  .figure,.table-wrap{overflow:visible}
  .figure.wide{width:auto;margin-left:0}
  svg .pc.dim{stroke:inherit;opacity:.8}
}
"#;

/// Brushing on the parallel-coordinates plot: drag along an axis to keep the
/// runs that cross it inside the dragged range; a click clears that axis.
const SCRIPT: &str = r#"
(function(){
  document.querySelectorAll('svg.parcoords').forEach(function(svg){
    var lines=svg.querySelectorAll('.pc'), filters={}, info=svg.closest('section')&&svg.closest('section').querySelector('.brush-info');
    var pt=svg.createSVGPoint();
    function localY(e){pt.x=e.clientX;pt.y=e.clientY;return pt.matrixTransform(svg.getScreenCTM().inverse()).y;}
    function apply(){
      var shown=0, active=Object.keys(filters);
      lines.forEach(function(l){
        var p=l.getAttribute('data-p').split(',').map(Number);
        var ok=active.every(function(k){return p[k]>=filters[k][0]-1e-6&&p[k]<=filters[k][1]+1e-6;});
        l.classList.toggle('dim',!ok); if(ok){shown++;}
      });
      if(info){info.textContent=active.length?shown+' of '+lines.length+' runs selected; click an axis to clear its range.':'Drag along any axis to select the runs that pass through a range; hover a line for its run.';}
    }
    svg.querySelectorAll('.brush').forEach(function(r){
      var i=r.getAttribute('data-axis'), top=+r.getAttribute('data-top'), bottom=+r.getAttribute('data-bottom');
      var sel=svg.querySelector('.sel[data-axis="'+i+'"]'), start=null;
      function clamp(y){return Math.max(top,Math.min(bottom,y));}
      r.addEventListener('pointerdown',function(e){start=clamp(localY(e));r.setPointerCapture(e.pointerId);e.preventDefault();});
      r.addEventListener('pointermove',function(e){
        if(start===null){return;}
        var y=clamp(localY(e));sel.setAttribute('y',Math.min(start,y));sel.setAttribute('height',Math.abs(y-start));
      });
      r.addEventListener('pointerup',function(e){
        if(start===null){return;}
        var y=clamp(localY(e)), a=Math.min(start,y), b=Math.max(start,y); start=null;
        if(b-a<3){delete filters[i];sel.setAttribute('height',0);}
        else{filters[i]=[(bottom-b)/(bottom-top),(bottom-a)/(bottom-top)];}
        apply();
      });
    });
    apply();
  });
  document.body.setAttribute('data-ready','1');
})();
"#;
