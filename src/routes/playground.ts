/**
 * The playground page: a form, live status over the SSE stream, and a video
 * player. Plain HTML and a little script, served by the Worker itself.
 */
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wan-relay playground</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input,textarea,select,button{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}
button{width:auto;padding:.5rem 1.2rem;margin-top:1rem;cursor:pointer}
.row{display:flex;gap:1rem}.row>div{flex:1}
#status{margin-top:1.2rem;font-weight:600}#log{font:12px/1.4 ui-monospace,monospace;background:#f6f6f6;padding:.6rem;white-space:pre-wrap;max-height:14rem;overflow:auto}
video{width:100%;margin-top:1rem;background:#000}
</style></head>
<body>
<h1>wan-relay playground</h1>
<p>Create a Wan 2.5 generation and watch it go queued → generating → storing → completed. <a href="/docs">API docs</a></p>
<form id="form">
<label for="key">Client key</label><input id="key" name="key" autocomplete="off" placeholder="the key printed by npm start" required>
<label for="prompt">Prompt</label><textarea id="prompt" name="prompt" rows="3" maxlength="800" required>A raccoon happily eating an ice cream looks into the camera and says: "Hello, two-legged!"</textarea>
<div class="row">
<div><label for="resolution">Resolution</label><select id="resolution" name="resolution"><option>480p</option><option selected>720p</option><option>1080p</option></select></div>
<div><label for="aspect_ratio">Aspect ratio</label><select id="aspect_ratio" name="aspect_ratio"><option selected>16:9</option><option>9:16</option><option>1:1</option></select></div>
<div><label for="duration">Duration</label><select id="duration" name="duration"><option value="">default</option><option>5</option><option>10</option></select></div>
</div>
<button id="go" type="submit">Generate</button>
</form>
<div id="status" role="status"></div>
<video id="video" controls hidden></video>
<div id="log"></div>
<script>
const $ = (id) => document.getElementById(id);
$('key').value = localStorage.getItem('wan-relay-key') || '';
function log(line){ $('log').textContent += line + '\\n'; }
function show(g){
  $('status').textContent = g.status + (g.error ? ' — ' + g.error.code + ': ' + g.error.message : '') + ' (upstream polls: ' + g.upstream.polls + ')';
  $('status').dataset.status = g.status;
  if (g.video && $('video').hidden) { $('video').src = g.video.url; $('video').hidden = false; }
}
async function watch(id, key){
  const res = await fetch('/v1/generations/' + id + '/stream', { headers: { Authorization: 'Bearer ' + key } });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\\n\\n')) >= 0) {
      const chunk = buffer.slice(0, end); buffer = buffer.slice(end + 2);
      const data = chunk.split('\\n').filter(l => l.startsWith('data:')).map(l => l.slice(5).trim()).join('\\n');
      if (data) { const g = JSON.parse(data); log(new Date().toISOString() + ' ' + g.status); show(g); }
    }
  }
}
$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = $('key').value.trim(); localStorage.setItem('wan-relay-key', key);
  const body = { prompt: $('prompt').value, resolution: $('resolution').value, aspect_ratio: $('aspect_ratio').value };
  if ($('duration').value) body.duration = Number($('duration').value);
  $('video').hidden = true; $('log').textContent = '';
  const res = await fetch('/v1/generations', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + key }, body: JSON.stringify(body) });
  const answer = await res.json();
  if (!res.ok) { $('status').textContent = 'Error ' + res.status + ': ' + answer.error.message; return; }
  log('created ' + answer.id); show(answer);
  watch(answer.id, key).catch((e) => log('stream error: ' + e));
});
</script>
</body></html>`;
