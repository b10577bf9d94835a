# A client in the style of the AI/ML API's published MiniMax (Hailuo)
# examples, written for wan-relay's tests: Python `requests`, the MiniMax
# vendor path, `first_frame_image`, and the task id read from
# "generation_id" of the create answer, as those pages do. Only the base URL
# and the key differ (read from the environment here).
import os
import time

import requests

api_key = os.environ["WAN_RELAY_KEY"]
base_url = os.environ["WAN_RELAY_URL"] + "/v2"
poll_seconds = float(os.environ.get("POLL_SECONDS", "10"))


def generate_video():
    url = f"{base_url}/generate/video/minimax/generation"
    headers = {"Authorization": f"Bearer {api_key}"}
    data = {
        "model": "minimax/hailuo-02",
        "prompt": "A heron lifts off from a misty pond and glides over the reeds.",
        "first_frame_image": "https://media.example.com/published-clients/heron.png",
        "duration": 6,
    }
    response = requests.post(url, json=data, headers=headers)
    if response.status_code >= 400:
        print(f"Error: {response.status_code} - {response.text}")
        return None
    return response.json()


def get_video(gen_id):
    url = f"{base_url}/generate/video/minimax/generation"
    params = {"generation_id": gen_id}
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    return requests.get(url, params=params, headers=headers).json()


def main():
    gen_response = generate_video()
    gen_id = gen_response.get("generation_id") if gen_response else None
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
