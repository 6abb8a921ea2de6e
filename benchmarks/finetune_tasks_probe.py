"""A probe of redesigned task kinds for lesson 10 (not used by the lesson yet): answers with a leading space (the BPE tokens of the
plays), copy-like kinds, and one (seed, thread count) cell of full fine-tuning against training from scratch on `shakespeare_model()`.

    python benchmarks/finetune_tasks_probe.py next_word,speaker,repeat,capitals,last_word 150 3e-3 123 600
    (kinds, steps, peak learning rate, seed, training examples per kind) -> one JSON line on stdout

Measured results are kept in benchmarks/finetune_tasks_probe.json."""
import sys, time, copy, json, torch
from simplellm.data import load_text
from simplellm.model import SimpleLLM
import simplellm.finetune as ft
from simplellm.finetune import shakespeare_model, make_instructions, held_out_start, fit_answers, scores

_P = ',.;:!?\'-"'
def next_word(speaker, line, rng):   # the line's next word, after a word (not punctuation), with its leading space
    words = line.split()
    k = rng.randrange(3, len(words)) if len(words) >= 4 else None
    if k is None or not words[k].strip(_P).isalpha() or not words[k-1][-1].isalpha(): return None
    return dict(instruction='Continue the line by one word.', input=' '.join(words[:k]), output=' ' + words[k].strip(_P))
def speaker_cue(speaker, line, rng):   # the name is in the input: a copy
    return dict(instruction='Who speaks?', input=f"{speaker}:\n{line}", output=speaker)
def _word(line, rng):
    w = [x.strip(_P) for x in line.split()]; w = [x for x in w if x.isalpha() and len(x) > 3]
    return rng.choice(w) if w else None
def repeat_word(speaker, line, rng):
    x = _word(line, rng); return x and dict(instruction=f"Repeat the word: {x}", output=' ' + x)
def capitals(speaker, line, rng):
    x = _word(line, rng); return x and dict(instruction=f"Write in capital letters: {x}", output=' ' + x.upper())
def last_word(speaker, line, rng):
    w = line.split()
    if len(w) < 3 or not w[-1].strip(_P).isalpha(): return None
    return dict(instruction='Which word ends the line?', input=line, output=' ' + w[-1].strip(_P))
ALL = dict(next_word=next_word, speaker=speaker_cue, repeat=repeat_word, capitals=capitals, last_word=last_word,
           old_next=ft.next_word_task, old_speaker=ft.speaker_task)

if __name__ == '__main__':
    kinds = sys.argv[1].split(',')
    steps, lr, seed, ntrain = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    base = shakespeare_model()
    data = make_instructions(load_text('tinyshakespeare'), held_out_start(), sizes=dict(train=ntrain, val=10, test=200), tasks={k: ALL[k] for k in kinds})
    res = {'base': scores(base, data['test'])}
    t0 = time.perf_counter(); full = copy.deepcopy(base); lf = fit_answers(full, data['train'], steps, lr=lr, seed=seed)
    res['full'], tf = scores(full, data['test']), time.perf_counter() - t0
    t0 = time.perf_counter(); torch.manual_seed(seed); sc = SimpleLLM(base.cfg); ls = fit_answers(sc, data['train'], steps, lr=lr, seed=seed)
    res['scratch'], ts = scores(sc, data['test']), time.perf_counter() - t0
    print(json.dumps(dict(kinds=kinds, steps=steps, lr=lr, seed=seed, ntrain=ntrain, threads=torch.get_num_threads(), full_s=round(tf), scratch_s=round(ts),
                          final_loss_full=sum(lf[-10:]) / 10, final_loss_scratch=sum(ls[-10:]) / 10,
                          **{k: {a: round(b, 3) for a, b in v.items()} for k, v in res.items()})))
