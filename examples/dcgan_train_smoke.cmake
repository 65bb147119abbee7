# The dcgan_train smoke test (examples/CMakeLists.txt): --help, 20 steps of
# tiny networks on 256 Fashion-MNIST images, the files checked, a --resume
# that continues to step 30, a --minutes budget, refused resumes and output
# folders, and generate on the checkpoint (and on one that does not fit).
#   cmake -DDCGAN_TRAIN=<exe> -DGENERATE=<exe> -DDATA=<fashion-mnist folder> -DOUT=<folder> -P dcgan_train_smoke.cmake
# Prints "skipped (ZENGEN_SKIP_MISSING_DATA=1)" when the data folder is missing.
file(REMOVE_RECURSE "${OUT}")
set(ENV{ZENGEN_SKIP_MISSING_DATA} 1)

function(run expect_rc)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(rc EQUAL 77)
    message("skipped (ZENGEN_SKIP_MISSING_DATA=1)")
    set(skipped TRUE PARENT_SCOPE)
    return()
  endif()
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "exit status ${rc} (expected ${expect_rc}): ${ARGN}")
  endif()
  set(output "${out}${err}" PARENT_SCOPE)
endfunction()

run(0 "${DCGAN_TRAIN}" --help)
if(NOT output MATCHES "--objective" OR NOT output MATCHES "--resume" OR NOT output MATCHES "--minutes")
  message(FATAL_ERROR "dcgan_train --help does not list its options")
endif()

set(small --data "${DATA}" --limit 256 --batch-size 16 --nz 16 --ngf 8 --ndf 8 --sample-every 10
          --checkpoint-every 10 --log-every 5)
run(0 "${DCGAN_TRAIN}" ${small} --steps 20 --out "${OUT}")
if(skipped)
  return()
endif()
foreach(f samples_step000010.png samples_step000020.png samples_final.png loss.png loss.csv checkpoint.safetensors)
  if(NOT EXISTS "${OUT}/${f}")
    message(FATAL_ERROR "dcgan_train did not write ${OUT}/${f}")
  endif()
endforeach()
if(NOT output MATCHES "step 20/20")
  message(FATAL_ERROR "no progress line for step 20")
endif()
file(STRINGS "${OUT}/loss.csv" rows)
list(LENGTH rows n)
if(NOT n EQUAL 21)
  message(FATAL_ERROR "loss.csv has ${n} lines, expected a header and 20 rows")
endif()

# --resume continues the step count and the log.
run(0 "${DCGAN_TRAIN}" ${small} --steps 30 --out "${OUT}" --resume)
if(NOT output MATCHES "resumed from .* step 20, epoch 1, batch 4")
  message(FATAL_ERROR "dcgan_train --resume did not report the checkpoint's position")
endif()
file(STRINGS "${OUT}/loss.csv" rows)
list(LENGTH rows n)
if(NOT n EQUAL 31)
  message(FATAL_ERROR "after --resume loss.csv has ${n} lines, expected a header and 30 rows")
endif()

# A time budget stops a long run early, with its checkpoint.
run(0 "${DCGAN_TRAIN}" ${small} --steps 1000000 --minutes 0.02 --out "${OUT}/budget")
if(NOT output MATCHES "stopped at step [0-9]+: the 0.02-minute budget is spent" OR
   NOT EXISTS "${OUT}/budget/checkpoint.safetensors")
  message(FATAL_ERROR "--minutes did not stop the run with a checkpoint")
endif()

# A resume with other networks is refused, naming the setting.
run(1 "${DCGAN_TRAIN}" --data "${DATA}" --limit 256 --batch-size 16 --nz 16 --ngf 16 --ndf 8 --steps 40
    --out "${OUT}" --resume)
if(NOT output MATCHES "checkpoint.safetensors was trained with ngf = 8, but this run has ngf = 16")
  message(FATAL_ERROR "a resume with another width was not refused clearly")
endif()
# An output folder that cannot be a folder is refused before training.
file(WRITE "${OUT}/a-file" "x")
run(1 "${DCGAN_TRAIN}" ${small} --steps 1 --out "${OUT}/a-file/sub")
if(NOT output MATCHES "a-file/sub")
  message(FATAL_ERROR "the unusable output folder was not named")
endif()

# --device: a bad name, and a GPU this build or machine does not have, are
# refused before training.
run(1 "${DCGAN_TRAIN}" ${small} --steps 1 --out "${OUT}/device" --device tpu)
if(NOT output MATCHES "--device must be auto, cpu, cuda or cuda:N, got 'tpu'")
  message(FATAL_ERROR "a bad --device was not refused clearly")
endif()
execute_process(COMMAND "${DCGAN_TRAIN}" ${small} --steps 2 --out "${OUT}/device" --device cuda:7
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT "${err}" MATCHES "--device cuda:7: (no CUDA backend|[0-7] CUDA device)")
  message(FATAL_ERROR "--device cuda:7 without that GPU: exit ${rc}, ${out}${err}")
endif()

# generate: a grid and single images from the checkpoint.
if(GENERATE)
  run(0 "${GENERATE}" "${OUT}/checkpoint.safetensors" --n 16 --grid --out "${OUT}/generated.png")
  run(0 "${GENERATE}" "${OUT}/checkpoint.safetensors" --n 4 --out "${OUT}/single")
  foreach(f generated.png single/000000.png single/000003.png)
    if(NOT EXISTS "${OUT}/${f}")
      message(FATAL_ERROR "generate did not write ${OUT}/${f}")
    endif()
  endforeach()
  # A checkpoint whose metadata names another architecture than its weights
  # have (ngf 8 -> 9, the same length, so the file stays well-formed).
  file(COPY_FILE "${OUT}/checkpoint.safetensors" "${OUT}/other.safetensors")
  execute_process(COMMAND sed -i "s/\"ngf\":\"8\"/\"ngf\":\"9\"/" "${OUT}/other.safetensors")
  run(1 "${GENERATE}" "${OUT}/other.safetensors" --n 4 --grid --out "${OUT}/never.png")
  if(NOT output MATCHES "other.safetensors: .*main.0.weight")
    message(FATAL_ERROR "generate did not name the file and the mismatched weight")
  endif()
  run(1 "${GENERATE}" "${OUT}/loss.csv" --n 4 --grid --out "${OUT}/never.png")

  # --data alone on a folder of images (the 4 just generated) trains on them as an image folder.
  run(0 "${DCGAN_TRAIN}" --data "${OUT}/single" --size 32 --channels 1 --batch-size 2 --nz 16 --ngf 8 --ndf 8
      --steps 3 --out "${OUT}/folder")
  if(NOT output MATCHES "on folder: 4 images 1x32x32, 2 batches of 2 per epoch" OR
     NOT EXISTS "${OUT}/folder/samples_final.png")
    message(FATAL_ERROR "dcgan_train did not train on the image folder")
  endif()
endif()
