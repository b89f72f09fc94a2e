"""Optimiser and precision check at 128² on the samples (random weights, default objective).

Runs 300 iterations of each setting in one process and prints the final total loss and seconds:
the measurement behind the default optimiser (docs/DEFAULTS.md).

    python scripts/optimizer_check.py
"""
import time, json, numpy as np
from vidstyle.config import StyleOptions
from vidstyle.optimize import Engine
from vidstyle.api import get_engine, prepare_styles, coefficients
from vidstyle.images import read_image, resize
S=128; N=300
c=resize(read_image('samples/content.png'),S,S*3//4).astype('float32'); st=read_image('samples/style.png').astype('float32')
out={}
for name,kw in [("lbfgs",dict(optimizer="lbfgs")),("adam6",dict(optimizer="adam",lr=6.0)),("adam2",dict(optimizer="adam",lr=2.0)),
                ("tutorial",dict(optimizer="adam",lr=5.1,beta1=0.99,eps=0.1/255)),("adam2_mixed",dict(optimizer="adam",lr=2.0,precision="mixed"))]:
    o=StyleOptions(weights="random", tol=0.0, **({"precision": "float32"} | kw))
    e=get_engine(o)
    g=e.style_targets(prepare_styles([st],(c.shape[1],c.shape[0]),o,None),[1.0]); t=e.targets(c[None],g,coefficients(o))
    e.optimize(c[None],t,3,0.0,None,o)  # warm up
    times=[]; t0=time.perf_counter()
    r=e.optimize(c[None],t,N,0.0,lambda k,terms,x: times.append((time.perf_counter()-t0, float(terms[0,4]))),o)
    if kw.get("precision")=="mixed":  # like for like: final image under the float32 objective
        o32=StyleOptions(weights="random", precision="float32"); e32=get_engine(o32); t32=e32.targets(c[None],e32.style_targets(prepare_styles([st],(c.shape[1],c.shape[0]),o32,None),[1.0]),coefficients(o32))
        final32=float(e32.evaluate(r.image,t32)[0,4])
    else: final32=float(r.history[-1,0,4])
    out[name]=dict(curve=times, final=final32, seconds=r.seconds, step=r.step_seconds)
    print(name, "final", final32, "sec", round(r.seconds,1), flush=True)
json.dump(out, open('docs/optimizer_check.json','w'))
