{% for f in ['a', 'b'] %}
- /tmp/converge-never/{{ f }}
{% endfor %}
