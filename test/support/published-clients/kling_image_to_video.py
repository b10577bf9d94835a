# A client in the style of the AI/ML API's published Kling examples, written
# for wan-relay's tests: Python `requests`, the Kling vendor path, `duration`
# as a string, the task id read from "id", a poll loop that keeps going while
# the status is queued or generating. Only the base URL and the key differ
# from what a user of the AI/ML API runs (read from the environment here).
import os
import time

import requests

api_key = os.environ["WAN_RELAY_KEY"]
base_url = os.environ["WAN_RELAY_URL"] + "/v2"
poll_seconds = float(os.environ.get("POLL_SECONDS", "10"))


def generate_video():
    url = f"{base_url}/generate/video/kling/generation"
    headers = {"Authorization": f"Bearer {api_key}"}
    data = {
        "model": "kling-video/v2.1/standard/image-to-video",
        "prompt": "A lighthouse keeper waves from the balcony as the lamp turns on.",
        "image_url": "https://media.example.com/published-clients/lighthouse.jpg",
        "duration": "5",
    }
    response = requests.post(url, json=data, headers=headers)
    if response.status_code >= 400:
        print(f"Error: {response.status_code} - {response.text}")
        return None
    return response.json()


def get_video(gen_id):
    url = f"{base_url}/generate/video/kling/generation"
    params = {"generation_id": gen_id}
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    return requests.get(url, params=params, headers=headers).json()


def main():
    gen_response = generate_video()
    gen_id = gen_response.get("id") if gen_response else None
    print("Generation ID:  ", gen_id)
    if not gen_id:
        raise SystemExit(1)
    deadline = time.time() + 120
    while time.time() < deadline:
        response_data = get_video(gen_id)
        status = response_data.get("status")
        print("Status:", status)
        if status in ["queued", "generating"]:
            time.sleep(poll_seconds)
        else:
            print("Processing complete:\n", response_data)
            return response_data
    print("Timeout reached. Stopping.")
    raise SystemExit(1)


if __name__ == "__main__":
    main()
