// A client in the style of the AI/ML API's published Seedance examples for
// Node, written for wan-relay's tests: the `https` module's request with a
// JSON.stringify body, `duration` sent as the string "5", the task id read
// from "id", a poll every few seconds while the status says it is running.
// Only the base URL and the key differ (read from the environment here); the
// one addition is picking `http` when the base URL is a local http:// one.
const https = require("https");
const http = require("http");
const { URL } = require("url");

const apiKey = process.env.WAN_RELAY_KEY;
const baseUrl = `${process.env.WAN_RELAY_URL}/v2`;
const pollMs = Number(process.env.POLL_SECONDS || "10") * 1000;

function send(url, options, body, callback) {
  const client = url.protocol === "https:" ? https : http;
  const req = client.request(url, options, (res) => {
    let text = "";
    res.on("data", (chunk) => (text += chunk));
    res.on("end", () => callback(res.statusCode, text));
  });
  req.on("error", (err) => {
    console.error("Request error:", err);
    process.exit(1);
  });
  if (body !== null) req.write(body);
  req.end();
}

function generateVideo(callback) {
  const data = JSON.stringify({
    model: "bytedance/seedance-1-0-lite-i2v",
    prompt: "A paper lantern rises over a night market and drifts out of frame.",
    image_url: "https://media.example.com/published-clients/lantern.jpg",
    duration: "5",
  });
  const url = new URL(`${baseUrl}/video/generations`);
  const options = {
    method: "POST",
    headers: {
      Authorization: `Bearer ${apiKey}`,
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(data),
    },
  };
  send(url, options, data, (status, text) => {
    if (status >= 400) {
      console.error(`Error: ${status} - ${text}`);
      callback(null);
    } else callback(JSON.parse(text));
  });
}

function getVideo(genId, callback) {
  const url = new URL(`${baseUrl}/video/generations`);
  url.searchParams.append("generation_id", genId);
  const options = { method: "GET", headers: { Authorization: `Bearer ${apiKey}` } };
  send(url, options, null, (_status, text) => callback(JSON.parse(text)));
}

function main() {
  generateVideo((genResponse) => {
    if (!genResponse || !genResponse.id) {
      console.error("Failed to start generation");
      process.exit(1);
    }
    const genId = genResponse.id;
    console.log("Gen_ID:", genId);
    const startTime = Date.now();
    const checkStatus = () => {
      if (Date.now() - startTime > 120000) {
        console.log("Timeout reached. Stopping.");
        process.exit(1);
      }
      getVideo(genId, (responseData) => {
        const status = responseData.status;
        console.log("Status:", status);
        if (["waiting", "active", "queued", "generating"].includes(status)) {
          setTimeout(checkStatus, pollMs);
        } else {
          console.log("Processing complete:\n", JSON.stringify(responseData));
        }
      });
    };
    checkStatus();
  });
}

main();
