#!/usr/bin/env python3
"""Deterministic synthetic "tiny stories" corpus for the cocoon/tiny-stories-1m model.

Why synthetic: no pretrained weights or text corpora can be downloaded here, and a generated corpus is
reproducible bit for bit from the seed, so it need not be committed. Documents are separated by a line
holding only "<|doc|>" (never produced by the generator itself). Three kinds of documents:
  - plain stories ("Once upon a time, ..."), for /v1/completions;
  - chat turns in the model's chat template, answering a request for a story with matching characters;
  - the same chat turns with a short <think> ... </think> plan first, so reasoning tokens are real.

Usage: corpus.py --out corpus.txt [--stories 40000] [--seed 1234]
"""
import argparse
import random

NAMES = ["Lily", "Max", "Tom", "Mia", "Ben", "Zoe", "Sam", "Anna", "Leo", "Lucy", "Tim", "Sara",
         "Jack", "Emma", "Finn", "Ruby", "Kai", "Nora", "Eli", "Ivy"]
ANIMALS = ["cat", "dog", "duck", "bird", "rabbit", "fox", "bear", "frog", "mouse", "fish", "owl", "pig"]
PEOPLE = ["girl", "boy"]
ADJ = ["small", "big", "happy", "kind", "brave", "little", "shy", "funny", "curious", "sleepy"]
PLACES = ["park", "forest", "garden", "house", "town", "river", "farm", "beach", "school", "hill"]
OBJECTS = ["ball", "box", "hat", "kite", "book", "cake", "flower", "toy", "key", "boat", "drum", "apple"]
COLORS = ["red", "blue", "green", "yellow", "pink", "orange", "purple", "white"]
FEELINGS = ["happy", "sad", "excited", "scared", "tired", "proud", "surprised"]
WEATHER = ["It was a sunny day.", "The sky was blue.", "It was a warm morning.", "The wind was soft.",
           "It was a rainy day.", "The sun was bright."]
MOODS = ["happy", "funny", "kind", "short"]


def article(word):
    return "an" if word[0] in "aeiou" else "a"


class Story:
    """One story's cast and props, chosen from the seeded PRNG; the chat request and plan reuse them."""

    def __init__(self, rng):
        self.rng = rng
        self.hero = rng.choice(NAMES)
        self.kind = rng.choice(ANIMALS + PEOPLE)
        self.friend = rng.choice([n for n in NAMES if n != self.hero])
        self.friend_kind = rng.choice(ANIMALS + PEOPLE)
        self.adj = rng.choice(ADJ)
        self.place = rng.choice(PLACES)
        self.obj = rng.choice(OBJECTS)
        self.color = rng.choice(COLORS)
        self.mood = rng.choice(MOODS)

    def text(self):
        r, h, f, o, c, p = self.rng, self.hero, self.friend, self.obj, self.color, self.place
        s = []
        s.append(r.choice([
            f"Once upon a time, there was {article(self.adj)} {self.adj} {self.kind} named {h}.",
            f"Once upon a time, in a {r.choice(ADJ)} {p}, there lived {article(self.adj)} {self.adj} {self.kind} named {h}.",
            f"Once upon a time, {article(self.adj)} {self.adj} {self.kind} named {h} lived near the {p}.",
        ]))
        s.append(r.choice([f"{h} liked to play in the {p}.", f"{h} loved the {p} very much.",
                           f"Every day, {h} went to the {p}."]))
        s.append(r.choice(WEATHER))
        s.append(r.choice([
            f"One day, {h} found {article(c)} {c} {o} under a tree.",
            f"One day, {h} saw {article(c)} {c} {o} near the water.",
            f"One day, {h} wanted to find a {c} {o}.",
        ]))
        if r.random() < 0.5:
            s.append(f"{h} was very {r.choice(['happy', 'excited', 'surprised'])}.")
        s.append(r.choice([
            f"But the {o} was too high, and {h} could not get it.",
            f"But then the {o} fell into the water.",
            f"But a big wind came and took the {o} away.",
            f"But {h} did not know what to do with the {o}.",
        ]))
        s.append(f"{h} felt {r.choice(['sad', 'scared', 'tired'])}.")
        s.append(r.choice([
            f"Then {article(self.friend_kind)} {self.friend_kind} named {f} came to help.",
            f"Then {h}'s friend {f}, {article(self.friend_kind)} {self.friend_kind}, came by.",
        ]))
        s.append(r.choice([
            f'{f} said, "Do not be sad, {h}. I can help you!"',
            f'{f} said, "Let us look for it together."',
            f'"Can I help you?" asked {f}.',
        ]))
        s.append(r.choice([
            f"{f} and {h} worked together, and they got the {o} back.",
            f"They looked and looked, and at last {f} found the {o}.",
            f"{f} was very tall, so {f} got the {o} for {h}.",
        ]))
        s.append(r.choice([
            f'{h} said, "Thank you, {f}! You are a good friend."',
            f"{h} smiled and gave {f} a big hug.",
        ]))
        s.append(r.choice([
            f"From that day on, {h} and {f} played with the {c} {o} every day.",
            f"They played in the {p} until the sun went down.",
            f"{h} and {f} were the best of friends.",
        ]))
        if self.mood == "short":
            s = s[:2] + s[3:4] + s[-3:]
        if self.mood == "funny":
            s.insert(-1, r.choice([f"Then the {o} hit {h} on the nose, and they all laughed.",
                                   f"{f} fell down in the mud, and everyone laughed."]))
        if self.mood == "kind":
            s.insert(-1, f"{h} learned that it is good to help a friend.")
        return " ".join(s)

    def request(self):
        r, h = self.rng, self.hero
        return r.choice([
            f"Tell me a story about {article(self.kind)} {self.kind} named {h}.",
            f"Write a {self.mood} story about {h} and a {self.obj}.",
            f"Can you tell me a story about {h} in the {self.place}?",
            f"Please write a short story about {article(self.kind)} {self.kind} and a {self.color} {self.obj}.",
            f"Tell me a {self.mood} story about {h}.",
            f"I want a story about {h} and {self.friend}.",
        ])

    def plan(self):
        return (f"The user wants a story about {h_kind(self)}. The story will be {self.mood}. "
                f"{self.hero} will find a {self.color} {self.obj}, and {self.friend} will help.")


def h_kind(story):
    return f"{article(story.kind)} {story.kind} named {story.hero}"


SYSTEMS = ["You are a helpful assistant.", "You are a storyteller for children.", "You write short stories."]


def chat_document(rng, story, think):
    parts = []
    if rng.random() < 0.5:
        parts.append("<|system|>\n" + rng.choice(SYSTEMS) + "<|end|>\n")
    parts.append("<|user|>\n" + story.request() + "<|end|>\n")
    parts.append("<|assistant|>\n")
    if think:
        parts.append("<think>\n" + story.plan() + "\n</think>\n")
    parts.append(story.text())
    return "".join(parts)


def generate(n, seed):
    rng = random.Random(seed)
    for _ in range(n):
        story = Story(rng)
        kind = rng.random()
        if kind < 0.5:
            yield story.text()
        else:
            yield chat_document(rng, story, think=kind >= 0.8)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stories", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    with open(a.out, "w", encoding="utf-8") as f:
        for doc in generate(a.stories, a.seed):
            f.write(doc + "\n<|doc|>\n")


if __name__ == "__main__":
    main()
