"""Plain Plotly.js (no Streamlit) drawing and panning the map figure of N synthetic points in Chromium.

    python benchmarks/plotly_points.py 200000 text      # text: with hover titles; notext: without

Prints newPlot (until two animation frames after) and the mean of 5 relayouts (a pan), in ms.
"""
import os
import sys

import numpy as np
ROOT = __import__('pathlib').Path(__file__).resolve().parents[1]; sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / 'tests'))
from core.plots import map_figure
import plotly
n=int(sys.argv[1]); mode=sys.argv[2]
rng=np.random.default_rng(0); g=rng.integers(0,8,n)
xy=(rng.uniform(-40,40,(8,2))[g]+rng.normal(scale=6,size=(n,2))).astype(np.float32)
titles=[f"Synthetic headline {i}" for i in range(n)]
fig=map_figure(xy,g,{i:str(i) for i in range(8)},titles,np.arange(n))
if mode=='notext':
    for t in fig.data: t.text=None; t.hovertemplate=None
js=fig.to_json()
pl=open(os.path.join(os.path.dirname(plotly.__file__),'package_data','plotly.min.js')).read()
html=f"<html><body><div id=g style='width:1200px;height:620px'></div><script>{pl}</script><script>window.spec={js};</script></body></html>"
open('/tmp/clusterlens_plotly_points.html','w').write(html)
from browserkit import chromium_page
with chromium_page() as page:
    page.goto('file:///tmp/clusterlens_plotly_points.html')
    t=page.evaluate("async () => { const t0=performance.now(); await Plotly.newPlot('g', spec.data, spec.layout); await new Promise(r=>requestAnimationFrame(()=>requestAnimationFrame(r))); return performance.now()-t0; }")
    print(mode, n, 'newPlot ms', round(t))
    t=page.evaluate("async () => { const t0=performance.now(); for (let i=0;i<5;i++){ await Plotly.relayout('g', {'xaxis.range':[-50+i,50+i]}); } await new Promise(r=>requestAnimationFrame(r)); return (performance.now()-t0)/5; }")
    print(mode, n, 'relayout ms each', round(t))
