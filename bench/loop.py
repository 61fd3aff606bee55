# scalar loop: the same program in CPython
s = 0
for i in range(10000000):
    s += i
print(s)
