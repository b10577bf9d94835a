/**
 * A table of create bodies over many models of the catalogue, of different
 * families and kinds: for each, one valid body and at least two invalid ones
 * with the field each must be refused for. Written from the catalogue's rows
 * (src/models/catalogue-data.ts), by hand: the tests must not derive their
 * expectations from the code they test.
 *
 * Bodies are built from a prompt unique to the test run (`p`), so the shared
 * fake upstream keeps each one's scenario apart. `bodyFor` adds the model.
 */

export type Body = Record<string, unknown>;

export interface ModelCase {
  model: string;
  /** The family, for the "different families" count. */
  family: string;
  valid: (p: string) => Body;
  /** [why, body, the field it must be refused for]. */
  invalid: [why: string, body: (p: string) => Body, field: string][];
}

export const IMAGE_URL = "https://media.example.com/cat.png";
export const IMAGE_URL_2 = "https://media.example.com/dog.jpg";
export const VIDEO_URL = "https://media.example.com/clip.mp4";
export const AUDIO_URL = "https://media.example.com/voice.mp3";
/** A tiny valid data: URI (PNG signature bytes). */
export const PNG_DATA_URI = "data:image/png;base64,iVBORw0KGgo=";

export const MODEL_CASES: ModelCase[] = [
  {
    model: "alibaba/wan2.5-t2v-preview",
    family: "wan",
    valid: (p) => ({ prompt: p, resolution: "1080p", duration: 10 }),
    invalid: [
      ["resolution 4k", (p) => ({ prompt: p, resolution: "4k" }), "resolution"],
      ["a prompt of 801 characters (the seed's limit)", (p) => ({ prompt: p.padEnd(801, "x") }), "prompt"],
      ["seed over 2147483647", (p) => ({ prompt: p, seed: 2147483648 }), "seed"],
    ],
  },
  {
    model: "alibaba/wan2.1-t2v-plus",
    family: "wan",
    valid: (p) => ({ prompt: p, resolution: "720P", watermark: false }),
    invalid: [
      ["resolution in lower case", (p) => ({ prompt: p, resolution: "720p" }), "resolution"],
      ["no prompt", () => ({ aspect_ratio: "16:9" }), "prompt"],
    ],
  },
  {
    model: "alibaba/wan2.2-i2v-plus",
    family: "wan",
    valid: (p) => ({ prompt: p, image_url: IMAGE_URL, resolution: "480P" }),
    invalid: [
      ["no image_url", (p) => ({ prompt: p }), "image_url"],
      ["an image_url that is not a URL", (p) => ({ prompt: p, image_url: "cat.png" }), "image_url"],
    ],
  },
  {
    model: "alibaba/wan-2-7-r2v",
    family: "wan",
    valid: (p) => ({
      prompt: p,
      image_urls: [IMAGE_URL, IMAGE_URL_2],
      video_urls: [VIDEO_URL],
      duration: 15,
    }),
    invalid: [
      ["six reference images (at most 5)", (p) => ({ prompt: p, image_urls: Array(6).fill(IMAGE_URL) }), "image_urls"],
      ["an ftp video URL", (p) => ({ prompt: p, video_urls: ["ftp://media.example.com/clip.mp4"] }), "video_urls.0"],
      [
        "a negative_prompt over 500 characters",
        (p) => ({ prompt: p, negative_prompt: "n".repeat(501) }),
        "negative_prompt",
      ],
    ],
  },
  {
    model: "kling-video/v1.6/pro/text-to-video",
    family: "kling",
    valid: (p) => ({ prompt: p, duration: 10, cfg_scale: 0.5 }),
    invalid: [
      ["cfg_scale 2 (0..1)", (p) => ({ prompt: p, cfg_scale: 2 }), "cfg_scale"],
      ["an unknown camera_control", (p) => ({ prompt: p, camera_control: "spin" }), "camera_control"],
    ],
  },
  {
    model: "klingai/v2.5-turbo/pro/image-to-video",
    family: "kling",
    valid: (p) => ({ prompt: p, image_url: IMAGE_URL, duration: 10 }),
    invalid: [
      ["no prompt", () => ({ image_url: IMAGE_URL }), "prompt"],
      ["duration 7", (p) => ({ prompt: p, image_url: IMAGE_URL, duration: 7 }), "duration"],
    ],
  },
  {
    model: "klingai/video-v3-pro-text-to-video",
    family: "kling",
    valid: (p) => ({ prompt: p, duration: 12, generate_audio: false }),
    invalid: [
      ["duration 16", (p) => ({ prompt: p, duration: 16 }), "duration"],
      ["multi_prompt as a string", (p) => ({ prompt: p, multi_prompt: "one shot" }), "multi_prompt"],
    ],
  },
  {
    model: "google/veo-3.1-t2v",
    family: "google",
    valid: (p) => ({ prompt: p, aspect_ratio: "9:16", duration: 6, generate_audio: true }),
    invalid: [
      ["duration 5", (p) => ({ prompt: p, duration: 5 }), "duration"],
      [
        "an image_url, which a text-to-video model does not take",
        (p) => ({ prompt: p, image_url: IMAGE_URL }),
        "image_url",
      ],
    ],
  },
  {
    model: "google/veo-3.1-first-last-image-to-video",
    family: "google",
    valid: (p) => ({
      prompt: p,
      image_url: IMAGE_URL,
      last_image_url: IMAGE_URL_2,
    }),
    invalid: [
      ["no last_image_url", (p) => ({ prompt: p, image_url: IMAGE_URL }), "last_image_url"],
      [
        "a data: URI of text in an image field",
        (p) => ({ prompt: p, image_url: "data:text/plain;base64,QUJD", last_image_url: IMAGE_URL }),
        "image_url",
      ],
    ],
  },
  {
    model: "openai/sora-2-t2v",
    family: "openai",
    valid: (p) => ({ prompt: p, duration: 12, aspect_ratio: "9:16" }),
    invalid: [
      ["duration 10", (p) => ({ prompt: p, duration: 10 }), "duration"],
      ["resolution 1080p", (p) => ({ prompt: p, resolution: "1080p" }), "resolution"],
    ],
  },
  {
    model: "openai/sora-2-pro-i2v",
    family: "openai",
    valid: (p) => ({ prompt: p, image_url: IMAGE_URL, resolution: "1080p" }),
    invalid: [
      ["no image_url", (p) => ({ prompt: p }), "image_url"],
      ["aspect_ratio 1:1", (p) => ({ prompt: p, image_url: IMAGE_URL, aspect_ratio: "1:1" }), "aspect_ratio"],
    ],
  },
  {
    model: "minimax/hailuo-02",
    family: "minimax",
    valid: (p) => ({ prompt: p, image_url: IMAGE_URL, resolution: "1080P", duration: 6 }),
    invalid: [
      ["a prompt over 2000 characters", (p) => ({ prompt: p.padEnd(2001, "x") }), "prompt"],
      ["duration 8", (p) => ({ prompt: p, duration: 8 }), "duration"],
    ],
  },
  {
    model: "runway/gen4_turbo",
    family: "runway",
    valid: (p) => ({ prompt: p, image_url: IMAGE_URL, seed: 4294967295, duration: 10 }),
    invalid: [
      ["no image_url", (p) => ({ prompt: p }), "image_url"],
      ["seed -1", (p) => ({ prompt: p, image_url: IMAGE_URL, seed: -1 }), "seed"],
    ],
  },
  {
    model: "runway/gen4_aleph",
    family: "runway",
    valid: (p) => ({
      prompt: p,
      video_url: VIDEO_URL,
      references: [{ type: "image", url: IMAGE_URL }],
    }),
    invalid: [
      ["no video_url", (p) => ({ prompt: p }), "video_url"],
      ["an unknown frame_size", (p) => ({ prompt: p, video_url: VIDEO_URL, frame_size: "1920:1080" }), "frame_size"],
    ],
  },
  {
    model: "luma/ray-2",
    family: "luma",
    valid: (p) => ({ prompt: p, resolution: "4k", loop: true, duration: 9 }),
    invalid: [
      ["duration 10", (p) => ({ prompt: p, duration: 10 }), "duration"],
      ['loop "yes"', (p) => ({ prompt: p, loop: "yes" }), "loop"],
    ],
  },
  {
    model: "pixverse/v5/text-to-video",
    family: "pixverse",
    valid: (p) => ({ prompt: p, style: "anime", duration: 8 }),
    invalid: [
      ["an unknown style", (p) => ({ prompt: p, style: "noir" }), "style"],
      ["seed 1.5", (p) => ({ prompt: p, seed: 1.5 }), "seed"],
    ],
  },
  {
    model: "pixverse/v5/transition",
    family: "pixverse",
    valid: (p) => ({ prompt: p, image_url: IMAGE_URL, tail_image_url: IMAGE_URL_2 }),
    invalid: [
      ["no tail_image_url", (p) => ({ prompt: p, image_url: IMAGE_URL }), "tail_image_url"],
      [
        "resolution 4k",
        (p) => ({ prompt: p, image_url: IMAGE_URL, tail_image_url: IMAGE_URL_2, resolution: "4k" }),
        "resolution",
      ],
    ],
  },
  {
    model: "bytedance/seedance-1-0-pro-t2v",
    family: "bytedance",
    valid: (p) => ({ prompt: p, camerafixed: true, duration: 5 }),
    invalid: [
      ["camerafixed 1", (p) => ({ prompt: p, camerafixed: 1 }), "camerafixed"],
      ["resolution 2k", (p) => ({ prompt: p, resolution: "2k" }), "resolution"],
    ],
  },
  {
    model: "bytedance/omnihuman",
    family: "bytedance",
    valid: () => ({ image_url: IMAGE_URL, audio_url: AUDIO_URL }),
    invalid: [
      ["no audio_url", () => ({ image_url: IMAGE_URL }), "audio_url"],
      [
        "a video data: URI in the audio field",
        () => ({ image_url: IMAGE_URL, audio_url: "data:video/mp4;base64,AAAA" }),
        "audio_url",
      ],
      [
        "a prompt, which it does not take",
        (p) => ({ image_url: IMAGE_URL, audio_url: AUDIO_URL, prompt: p }),
        "prompt",
      ],
    ],
  },
  {
    model: "ltxv/ltxv-2",
    family: "ltxv",
    valid: (p) => ({ prompt: p, fps: 50, duration: 8 }),
    invalid: [
      ["fps 30", (p) => ({ prompt: p, fps: 30 }), "fps"],
      ["aspect_ratio 9:16", (p) => ({ prompt: p, aspect_ratio: "9:16" }), "aspect_ratio"],
    ],
  },
  {
    model: "x-ai/grok-imagine-video",
    family: "x-ai",
    valid: (p) => ({ prompt: p, duration: 15, reference_images: [IMAGE_URL] }),
    invalid: [
      ["duration 16 (1..15)", (p) => ({ prompt: p, duration: 16 }), "duration"],
      ["an empty reference_images", (p) => ({ prompt: p, reference_images: [] }), "reference_images"],
    ],
  },
  {
    model: "blackforestlabs/flux-3-video-t2v",
    family: "blackforestlabs",
    valid: (p) => ({ prompt: p, duration: 20, safety_tolerance: 0 }),
    invalid: [
      ["an empty prompt", () => ({ prompt: "" }), "prompt"],
      ["safety_tolerance 5", (p) => ({ prompt: p, safety_tolerance: 5 }), "safety_tolerance"],
    ],
  },
  {
    model: "tencent/hunyuan-video-foley",
    family: "tencent",
    valid: (p) => ({ prompt: p, video_url: VIDEO_URL, guidance_scale: 3.5 }),
    invalid: [
      ["no video_url", (p) => ({ prompt: p }), "video_url"],
      [
        "num_inference_steps 2.5",
        (p) => ({ prompt: p, video_url: VIDEO_URL, num_inference_steps: 2.5 }),
        "num_inference_steps",
      ],
    ],
  },
  {
    model: "veed/fabric-1.0",
    family: "veed",
    valid: () => ({ image_url: IMAGE_URL, audio_url: AUDIO_URL, resolution: "720p" }),
    invalid: [
      ["no image_url", () => ({ audio_url: AUDIO_URL }), "image_url"],
      ["resolution 1080p", () => ({ image_url: IMAGE_URL, audio_url: AUDIO_URL, resolution: "1080p" }), "resolution"],
    ],
  },
  {
    model: "krea/krea-wan-14b/text-to-video",
    family: "krea",
    valid: (p) => ({ prompt: p, num_frames: 162, enable_prompt_expansion: false }),
    invalid: [
      ["num_frames 17 (18..162)", (p) => ({ prompt: p, num_frames: 17 }), "num_frames"],
      [
        "enhance_prompt, a name only the Wan 2.5 preview takes",
        (p) => ({ prompt: p, enhance_prompt: true }),
        "enhance_prompt",
      ],
    ],
  },
];

/** The create body of a case: its model, then the fields. */
export function bodyFor(model: string, fields: Body): Body {
  return { model, ...fields };
}
