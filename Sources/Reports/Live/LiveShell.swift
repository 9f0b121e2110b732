// LiveShell: the frame every live-view page shares — layout, CSS, the nav bar (Runs, Compare,
// Sweeps, Reports) and the small script that polls for updates and shows hover values. No CDN,
// nothing fetched from the network: the page needs only the server it came from.

public enum LiveShell {
  /// A whole page. `title` is raw text (escaped here); `body` is an HTML fragment already
  /// escaped by its renderer. `liveScript` adds the polling/hover script (pages that update).
  public static func page(title: String, body: String, liveScript: Bool) -> String {
    var o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    o += "<title>\(Markup.escape(title)) · lmlab ui</title>\n<style>\(css)</style></head>\n<body>\n"
    o += "<nav class=\"top\"><span class=\"brand\">LandmarkLab</span>"
    for (href, label) in [("/runs", "Runs"), ("/compare", "Compare"), ("/sweeps", "Sweeps"), ("/reports", "Reports")] {
      o += "<a href=\"\(href)\">\(label)</a>"
    }
    o += "<span class=\"live-dot\" id=\"live-dot\" title=\"live updates\"></span></nav>\n"
    o += "<main>\n" + body + "\n</main>\n"
    if liveScript { o += "<script>\(script)</script>\n" }
    o += "</body></html>\n"
    return o
  }

  /// A status badge: `<span class="badge running">running</span>`.
  public static func badge(_ status: String) -> String {
    let s = Markup.escape(status)
    return "<span class=\"badge \(s)\" data-status=\"\(s)\">\(s)</span>"
  }

  /// A link to run `r`: "#12 name".
  public static func runLink(_ r: LiveRunLink) -> String {
    "<a href=\"/runs/\(r.id)\">#\(r.id) \(Markup.escape(r.name))</a>"
  }

  /// Bytes as "12.3 MB".
  public static func size(_ bytes: Int64) -> String {
    let b = Double(bytes)
    if b < 1024 { return "\(bytes) B" }
    if b < 1024 * 1024 { return String(format: "%.1f KB", b / 1024) }
    if b < 1024 * 1024 * 1024 { return String(format: "%.1f MB", b / 1024 / 1024) }
    return String(format: "%.2f GB", b / 1024 / 1024 / 1024)
  }

  static let css = """
    *{box-sizing:border-box}body{margin:0;font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2329;background:#f6f7f9}
    nav.top{display:flex;gap:18px;align-items:center;background:#1d2b3a;color:#fff;padding:10px 22px}
    nav.top a{color:#cfe3ff;text-decoration:none;font-weight:500}nav.top a:hover{color:#fff}
    .brand{font-weight:700;margin-right:14px}.live-dot{margin-left:auto;width:9px;height:9px;border-radius:50%;background:#6b7785}
    .live-dot.on{background:#3fb950}.live-dot.off{background:#d1242f}
    main{padding:18px 22px;max-width:1500px}h1{font-size:21px;margin:4px 0 12px}h2{font-size:16px;margin:22px 0 8px}
    a{color:#0b62c4}table{border-collapse:collapse;background:#fff;box-shadow:0 0 0 1px #dde1e6}
    th,td{padding:5px 9px;border-bottom:1px solid #eceef1;text-align:left;white-space:nowrap;vertical-align:top}
    th{background:#eef1f4;font-weight:600;position:sticky;top:0}th a{color:inherit;text-decoration:none}
    td.num{text-align:right;font-variant-numeric:tabular-nums}tr:hover td{background:#f8fbff}
    .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#e6e8eb;color:#444}
    .badge.running{background:#dbeafe;color:#1d4ed8}.badge.finished{background:#dcfce7;color:#166534}
    .badge.failed{background:#fee2e2;color:#b91c1c}.badge.interrupted{background:#fef3c7;color:#92400e}.badge.queued{background:#ede9fe;color:#5b21b6}
    form.filter{display:flex;gap:8px;margin-bottom:10px}form.filter input[type=text]{flex:1;max-width:700px;padding:6px 9px;font:13px monospace;border:1px solid #c4cad1;border-radius:4px}
    button,input[type=submit]{padding:6px 12px;border:1px solid #0b62c4;background:#0b62c4;color:#fff;border-radius:4px;cursor:pointer}
    .error{background:#fff1f0;border:1px solid #f3b2ad;color:#8a1f17;padding:8px 12px;border-radius:4px;margin:8px 0;font-family:monospace;white-space:pre-wrap}
    .muted{color:#68737d}.facts td:first-child{color:#68737d}.grid{display:flex;flex-wrap:wrap;gap:14px}
    figure.chart{margin:0;background:#fff;box-shadow:0 0 0 1px #dde1e6;padding:6px;position:relative}
    figure.chart figcaption{font-size:12px;color:#68737d}.hover{position:absolute;pointer-events:none;background:#1d2b3a;color:#fff;font-size:12px;padding:2px 6px;border-radius:3px;display:none}
    figure.image{margin:0}img.artifact{max-width:420px;max-height:320px;display:block;border:1px solid #dde1e6;background:#fff}
    .progress{font-weight:600;margin:6px 0}.cols{display:flex;gap:28px;flex-wrap:wrap}.cols>div{min-width:300px}
    td.wrap{white-space:normal;word-break:break-all;max-width:560px}
    .kv{columns:4 280px;background:#fff;box-shadow:0 0 0 1px #dde1e6;padding:8px 12px;font-size:13px}
    .kv div{break-inside:avoid;padding:1px 0}.kv .k{color:#68737d}.kv .v{font-family:monospace}
    pre{background:#fff;padding:8px;border:1px solid #dde1e6;overflow:auto;max-width:900px}
    """

  /// Polls (runs table, a run's status and charts) and hover values over charts. Everything it
  /// reads back is HTML the server escaped or JSON it sets as text.
  static let script = """
    (function(){
    var dot=document.getElementById('live-dot');
    function mark(ok){if(dot){dot.className='live-dot '+(ok?'on':'off');}}
    function get(url,cb){var x=new XMLHttpRequest();x.open('GET',url);x.onload=function(){mark(x.status<500);cb(x.status,x.responseText);};x.onerror=function(){mark(false);cb(0,'');};x.send();}
    // Runs table: re-fetch the rows, keep the boxes ticked.
    var tb=document.getElementById('runs-body');
    if(tb){setInterval(function(){
      var ticked={};document.querySelectorAll('input.pick:checked').forEach(function(c){ticked[c.value]=1;});
      get(tb.getAttribute('data-src'),function(s,t){if(s==200&&t!==tb.getAttribute('data-last')){tb.setAttribute('data-last',t);tb.innerHTML=t;
        document.querySelectorAll('input.pick').forEach(function(c){if(ticked[c.value])c.checked=true;});}});
    },2000);}
    var cmp=document.getElementById('compare-selected');
    if(cmp){cmp.onclick=function(){var ids=[];document.querySelectorAll('input.pick:checked').forEach(function(c){ids.push(c.value);});
      if(ids.length)location.href='/compare?ids='+ids.join(',');};}
    // A run: status, progress and every chart whose point count changed.
    var run=document.getElementById('run-live');
    if(run){var src=run.getAttribute('data-src');var done=false;
      function tick(){get(src,function(s,t){if(s!=200)return;var d=JSON.parse(t);
        var b=document.getElementById('run-status');if(b){b.className='badge '+d.status;b.setAttribute('data-status',d.status);b.textContent=d.status;}
        var p=document.getElementById('run-progress');if(p){p.textContent=d.progress||'';}
        d.series.forEach(function(e){var f=document.querySelector('figure.chart[data-series="'+CSS.escape(e.name)+'"]');
          if(f&&f.getAttribute('data-version')==e.version)return;
          get(e.chart,function(s2,h){if(s2!=200)return;var f2=document.querySelector('figure.chart[data-series="'+CSS.escape(e.name)+'"]');
            if(f2){f2.outerHTML=h;}else{var g=document.getElementById('charts');if(g)g.insertAdjacentHTML('beforeend',h);}});});
        if(d.terminal){done=true;}});
        if(!done)setTimeout(tick,1500);}
      setTimeout(tick,1500);}
    // A sweep: its whole section (counts, best, charts, trials) every 2 s while a trial is
    // queued or running; the section it gets back says whether to go on.
    var sw=document.getElementById('sweep-live');
    if(sw){var last=null;
      function stick(){var cur=document.getElementById('sweep-live');if(!cur)return;
        get(cur.getAttribute('data-src'),function(s,t){var c=document.getElementById('sweep-live');
          if(s==200&&t!==last&&c){last=t;c.outerHTML=t;c=document.getElementById('sweep-live');}
          if(c&&c.getAttribute('data-live')=='1')setTimeout(stick,2000);});}
      if(sw.getAttribute('data-live')=='1')setTimeout(stick,2000);}
    // Hover: the nearest drawn point of a chart, in data units.
    document.addEventListener('mousemove',function(ev){
      var f=ev.target.closest?ev.target.closest('figure.chart'):null;var hs=document.querySelectorAll('.hover');
      hs.forEach(function(h){h.style.display='none';});if(!f)return;
      var svg=f.querySelector('svg');var pl=(f.getAttribute('data-plot')||'').split(' ').map(Number);var dm=(f.getAttribute('data-domain')||'').split(' ').map(Number);
      if(!svg||pl.length<4||dm.length<4)return;var r=svg.getBoundingClientRect();var mx=ev.clientX-r.left;
      var best=null;f.querySelectorAll('path.series-line,circle.point-marker').forEach(function(el){
        var pts=el.tagName=='circle'?[[+el.getAttribute('cx'),+el.getAttribute('cy')]]:el.getAttribute('d').slice(1).split(' L').map(function(s){return s.split(',').map(Number);});
        pts.forEach(function(q){var dx=Math.abs(q[0]-mx);if(!best||dx<best.dx)best={dx:dx,x:q[0],y:q[1],name:el.getAttribute('data-series')||f.getAttribute('data-series')};});});
      if(!best)return;var h=f.querySelector('.hover');if(!h)return;
      var xv=dm[0]+(best.x-pl[0])/pl[2]*(dm[1]-dm[0]);var yv=dm[3]-(best.y-pl[1])/pl[3]*(dm[3]-dm[2]);
      h.textContent=best.name+': step '+Math.round(xv)+', '+yv.toPrecision(5);h.style.left=(best.x+12)+'px';h.style.top=(best.y)+'px';h.style.display='block';});
    })();
    """
}
