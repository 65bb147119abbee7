# dcgan_train --resume is exact (examples/CMakeLists.txt): 24 steps straight,
# and 12 steps, stop, resume to 24, end with byte-identical checkpoints
# (networks, optimizers, EMA, random state, data position) and samples.
# 160 images in batches of 16 make 10 steps an epoch, so the stop at step 12
# falls in the middle of the second epoch.
#   cmake -DDCGAN_TRAIN=<exe> -DDATA=<fashion-mnist folder> -DOUT=<folder> -P dcgan_train_resume.cmake
file(REMOVE_RECURSE "${OUT}")
set(ENV{ZENGEN_SKIP_MISSING_DATA} 1)
# On the CPU: its kernels are deterministic (a GPU's split-K convolution
# gradients are not, bit for bit).
set(small --data "${DATA}" --limit 160 --batch-size 16 --nz 16 --ngf 8 --ndf 8 --flip --seed 3
          --sample-every 100 --checkpoint-every 100 --device cpu)

function(train)
  execute_process(COMMAND "${DCGAN_TRAIN}" ${small} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(rc EQUAL 77)
    message("skipped (ZENGEN_SKIP_MISSING_DATA=1)")
    set(skipped TRUE PARENT_SCOPE)
  elseif(NOT rc EQUAL 0)
    message(FATAL_ERROR "dcgan_train ${ARGN} exited with ${rc}")
  endif()
endfunction()

train(--steps 24 --out "${OUT}/straight")
if(skipped)
  return()
endif()
train(--steps 12 --out "${OUT}/stopped")
train(--steps 24 --out "${OUT}/stopped" --resume)

foreach(f checkpoint.safetensors samples_final.png)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${OUT}/straight/${f}" "${OUT}/stopped/${f}"
    RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "${f} of the stopped-and-resumed run differs from the uninterrupted run's")
  endif()
endforeach()
# The loss logs agree too (rows 1..12 from the first part, 13..24 from the resume).
file(READ "${OUT}/straight/loss.csv" a)
file(READ "${OUT}/stopped/loss.csv" b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "loss.csv of the resumed run differs from the uninterrupted run's")
endif()
message("checkpoint, samples and loss log identical after stop at 12 and resume to 24")
