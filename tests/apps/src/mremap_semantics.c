// mremap: shrinking in place, growing blocked by a neighbour, moving with MREMAP_MAYMOVE
// (data kept, new pages zero), MREMAP_FIXED, and the errors Linux gives.
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <errno.h>
int main(){
  char*p=mmap(0,4*4096,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); memset(p,'a',4*4096);
  char*q=mremap(p,4*4096,2*4096,0); printf("shrink in place: %d\n", q==p);
  char*blocker=mmap(p+4*4096,4096,PROT_READ,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED,-1,0); (void)blocker;
  char*r=mremap(p,2*4096,8*4096,0); printf("grow without move blocked: %d errno ENOMEM %d\n", r==MAP_FAILED, errno==ENOMEM);
  r=mremap(p,2*4096,8*4096,MREMAP_MAYMOVE); printf("moved: %d data kept: %d tail zero: %d\n", r!=p && r!=MAP_FAILED, r[0]=='a'&&r[8191]=='a', r[8192]==0 && r[8*4096-1]==0);
  char*f=mmap(0,4096*16,PROT_NONE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); char*s=mremap(r,8*4096,8*4096,MREMAP_MAYMOVE|MREMAP_FIXED,f+4096*4);
  printf("fixed: %d data kept: %d\n", s==f+4096*4, s[0]=='a');
  char*g=mremap(s,8*4096,16*4096,MREMAP_MAYMOVE); printf("grow again ok %d\n", g!=MAP_FAILED && g[0]=='a');
  printf("bad addr EFAULT: %d\n", mremap((void*)0x10000000,4096,8192,MREMAP_MAYMOVE)==MAP_FAILED && errno==EFAULT);
  printf("unaligned EINVAL: %d\n", mremap(g+1,4096,8192,MREMAP_MAYMOVE)==MAP_FAILED && errno==EINVAL);
  return 0;}
